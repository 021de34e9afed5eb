/* Many SHA-256 hashes in one call, for the Merkle tree's leaf and node hashes (merkle.py).
 *
 * hashlib costs about 0.4 us per call on OpenSSL 3 whatever the input's size (an EVP context
 * set up and torn down, a bytes object, the call itself), against about 0.1 us for the two
 * SHA-256 blocks of a leaf; a round of a quarter of a million entries makes half a million
 * such calls. These two functions take a whole list, hash every item with OpenSSL's
 * SHA-256 (the same libcrypto hashlib uses) with the GIL released, and return the digests:
 *
 *   prefixed(prefix, items)  -> [SHA-256(prefix || item) for item in items]
 *   pairs(prefix, items)     -> [SHA-256(prefix || items[2i] || items[2i+1])
 *                                for i in range(len(items) // 2)]
 *   sha256_rows(count, *columns)       -> [SHA-256(columns[0][i] || columns[1][i] ...)]
 *   hmac_rows(count, keys, *columns)   -> [HMAC-SHA256(keys[i], columns[0][i] || ...)]
 *   join_rows(count, *columns)         -> [columns[0][i] || columns[1][i] || ...]
 *   epoch_us(values)                   -> [microseconds since 1970 of each stored UTC text]
 *   groups(head, head_count, items, framed) -> a round's tiles / entry bundles' bytes
 *   entries(rows, start, devices, ...) -> a round's ledger entries from the store's rows
 *   climb(prefix, pendings, items, height) -> several tree levels in one call
 *
 * where a column is one bytes object for every row, or a sequence of `count` of them (the
 * ledger's entry building: openings and commitments of a whole round, entries.py).
 *
 * merkle.py falls back to hashlib when this module was not built; a Hypothesis test holds
 * both to hashlib. The hashes are plain SHA-256 (RFC 6962 / 9162 leaf and node hashes are
 * built by the caller's prefix), nothing here is specific to the ledger's format.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init & co.: the one-shot API without EVP */
#include <Python.h>
#include <datetime.h>
#include <openssl/sha.h>
#include <string.h>

typedef struct {
    const unsigned char *data;
    size_t size;
} chunk;

/* The items as (pointer, size), each item referenced until `release_items`: the GIL is
 * released while they are hashed, so a list changed meanwhile by another thread cannot
 * free them. Returns NULL with an exception set (not a sequence, an item not bytes). */
static PyObject *
hold_items(PyObject *items, Py_ssize_t *count, chunk **chunks)
{
    PyObject *seq = PySequence_Fast(items, "items must be a sequence of bytes");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **objects = PySequence_Fast_ITEMS(seq);
    chunk *held = PyMem_Malloc(sizeof(chunk) * (size_t)(n > 0 ? n : 1));
    if (held == NULL) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    PyObject *refs = PyTuple_New(n); /* owns one reference per item */
    if (refs == NULL) {
        PyMem_Free(held);
        Py_DECREF(seq);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = objects[i];
        if (!PyBytes_Check(item)) {
            PyErr_Format(PyExc_TypeError, "item %zd is %.100s, not bytes", i,
                         Py_TYPE(item)->tp_name);
            Py_DECREF(refs);
            PyMem_Free(held);
            Py_DECREF(seq);
            return NULL;
        }
        Py_INCREF(item);
        PyTuple_SET_ITEM(refs, i, item);
        held[i].data = (const unsigned char *)PyBytes_AS_STRING(item);
        held[i].size = (size_t)PyBytes_GET_SIZE(item);
    }
    Py_DECREF(seq);
    *count = n;
    *chunks = held;
    return refs;
}

/* `count` new bytes objects of 32 bytes in a list, their buffers in `out` (written
 * without the GIL: nothing else can see them before the list is returned). */
static PyObject *
new_digests(Py_ssize_t count, unsigned char ***out)
{
    PyObject *list = PyList_New(count);
    unsigned char **buffers = PyMem_Malloc(sizeof(unsigned char *) * (size_t)(count > 0 ? count : 1));
    if (list == NULL || buffers == NULL) {
        Py_XDECREF(list);
        PyMem_Free(buffers);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *digest = PyBytes_FromStringAndSize(NULL, SHA256_DIGEST_LENGTH);
        if (digest == NULL) {
            Py_DECREF(list);
            PyMem_Free(buffers);
            return NULL;
        }
        buffers[i] = (unsigned char *)PyBytes_AS_STRING(digest);
        PyList_SET_ITEM(list, i, digest);
    }
    *out = buffers;
    return list;
}

static PyObject *
hash_items(PyObject *args, int paired)
{
    Py_buffer prefix;
    PyObject *items;
    if (!PyArg_ParseTuple(args, "y*O", &prefix, &items)) {
        return NULL;
    }
    Py_ssize_t n = 0;
    chunk *chunks = NULL;
    PyObject *refs = hold_items(items, &n, &chunks);
    if (refs == NULL) {
        PyBuffer_Release(&prefix);
        return NULL;
    }
    Py_ssize_t made = paired ? n / 2 : n;
    unsigned char **out = NULL;
    PyObject *digests = new_digests(made, &out);
    if (digests != NULL) {
        const unsigned char *head = prefix.buf;
        size_t head_size = (size_t)prefix.len;
        Py_BEGIN_ALLOW_THREADS
        SHA256_CTX ctx;
        for (Py_ssize_t i = 0; i < made; i++) {
            SHA256_Init(&ctx);
            SHA256_Update(&ctx, head, head_size);
            if (paired) {
                SHA256_Update(&ctx, chunks[2 * i].data, chunks[2 * i].size);
                SHA256_Update(&ctx, chunks[2 * i + 1].data, chunks[2 * i + 1].size);
            } else {
                SHA256_Update(&ctx, chunks[i].data, chunks[i].size);
            }
            SHA256_Final(out[i], &ctx);
        }
        Py_END_ALLOW_THREADS
        PyMem_Free(out);
    }
    PyMem_Free(chunks);
    Py_DECREF(refs);
    PyBuffer_Release(&prefix);
    return digests;
}

static PyObject *
prefixed(PyObject *self, PyObject *args)
{
    return hash_items(args, 0);
}

static PyObject *
pairs(PyObject *self, PyObject *args)
{
    return hash_items(args, 1);
}

/* -- rows: one hash per row of several columns --------------------------------------- */

typedef struct {
    Py_ssize_t parts;
    Py_ssize_t count;
    chunk *cells; /* parts x count, row-major by part: cells[part * count + row] */
    PyObject *refs; /* a list owning a reference to every bytes object in `cells` */
} table;

static void
release_table(table *t)
{
    PyMem_Free(t->cells);
    Py_XDECREF(t->refs);
}

/* Each argument from `first` on is one column: a bytes object (the same in every row) or a
 * sequence of `count` bytes objects. */
static int
hold_table(PyObject *args, Py_ssize_t first, Py_ssize_t count, table *t)
{
    Py_ssize_t parts = PyTuple_GET_SIZE(args) - first;
    t->parts = parts;
    t->count = count;
    t->cells = PyMem_Malloc(sizeof(chunk) * (size_t)(parts * count > 0 ? parts * count : 1));
    t->refs = PyList_New(0);
    if (t->cells == NULL || t->refs == NULL) {
        release_table(t);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t p = 0; p < parts; p++) {
        PyObject *column = PyTuple_GET_ITEM(args, first + p);
        chunk *cells = t->cells + p * count;
        if (PyBytes_Check(column)) {
            if (PyList_Append(t->refs, column) < 0) {
                release_table(t);
                return -1;
            }
            for (Py_ssize_t r = 0; r < count; r++) {
                cells[r].data = (const unsigned char *)PyBytes_AS_STRING(column);
                cells[r].size = (size_t)PyBytes_GET_SIZE(column);
            }
            continue;
        }
        Py_ssize_t n = 0;
        chunk *held = NULL;
        PyObject *refs = hold_items(column, &n, &held);
        if (refs == NULL) {
            release_table(t);
            return -1;
        }
        int failed = PyList_Append(t->refs, refs);
        Py_DECREF(refs);
        if (failed < 0 || n != count) {
            PyMem_Free(held);
            if (failed == 0) {
                PyErr_Format(PyExc_ValueError, "column %zd has %zd items, expected %zd", p, n,
                             count);
            }
            release_table(t);
            return -1;
        }
        memcpy(cells, held, sizeof(chunk) * (size_t)count);
        PyMem_Free(held);
    }
    return 0;
}

static void
sha256_row(const table *t, Py_ssize_t row, Py_ssize_t from, unsigned char *out)
{
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    for (Py_ssize_t p = from; p < t->parts; p++) {
        const chunk *cell = t->cells + p * t->count + row;
        SHA256_Update(&ctx, cell->data, cell->size);
    }
    SHA256_Final(out, &ctx);
}

/* HMAC-SHA256 (RFC 2104) keyed by column 0 of the row, over the other columns joined. */
static void
hmac_row(const table *t, Py_ssize_t row, unsigned char *out)
{
    unsigned char key[64] = {0}, pad[64], inner[SHA256_DIGEST_LENGTH];
    const chunk *secret = t->cells + row;
    if (secret->size > 64) {
        SHA256(secret->data, secret->size, key);
    } else {
        memcpy(key, secret->data, secret->size);
    }
    SHA256_CTX ctx;
    for (int i = 0; i < 64; i++) {
        pad[i] = key[i] ^ 0x36;
    }
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, pad, 64);
    for (Py_ssize_t p = 1; p < t->parts; p++) {
        const chunk *cell = t->cells + p * t->count + row;
        SHA256_Update(&ctx, cell->data, cell->size);
    }
    SHA256_Final(inner, &ctx);
    for (int i = 0; i < 64; i++) {
        pad[i] = key[i] ^ 0x5c;
    }
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, pad, 64);
    SHA256_Update(&ctx, inner, SHA256_DIGEST_LENGTH);
    SHA256_Final(out, &ctx);
}

static PyObject *
hash_rows(PyObject *args, int keyed)
{
    Py_ssize_t need = keyed ? 2 : 1;
    if (PyTuple_GET_SIZE(args) < need) {
        PyErr_SetString(PyExc_TypeError, keyed ? "hmac_rows(count, keys, *columns)"
                                               : "sha256_rows(count, *columns)");
        return NULL;
    }
    Py_ssize_t count = PyLong_AsSsize_t(PyTuple_GET_ITEM(args, 0));
    if (count < 0) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "count must be 0 or more");
        }
        return NULL;
    }
    table t;
    if (hold_table(args, 1, count, &t) < 0) {
        return NULL;
    }
    unsigned char **out = NULL;
    PyObject *digests = new_digests(count, &out);
    if (digests != NULL) {
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t row = 0; row < count; row++) {
            if (keyed) {
                hmac_row(&t, row, out[row]);
            } else {
                sha256_row(&t, row, 0, out[row]);
            }
        }
        Py_END_ALLOW_THREADS
        PyMem_Free(out);
    }
    release_table(&t);
    return digests;
}

static PyObject *
sha256_rows(PyObject *self, PyObject *args)
{
    return hash_rows(args, 0);
}

static PyObject *
hmac_rows(PyObject *self, PyObject *args)
{
    return hash_rows(args, 1);
}

/* join_rows(count, *columns) -> [columns[0][i] || columns[1][i] || ...]: whole entries from
 * their parts in one call (the GIL is kept: it allocates the results as it goes). */
static PyObject *
join_rows(PyObject *self, PyObject *args)
{
    if (PyTuple_GET_SIZE(args) < 1) {
        PyErr_SetString(PyExc_TypeError, "join_rows(count, *columns)");
        return NULL;
    }
    Py_ssize_t count = PyLong_AsSsize_t(PyTuple_GET_ITEM(args, 0));
    if (count < 0) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "count must be 0 or more");
        }
        return NULL;
    }
    table t;
    if (hold_table(args, 1, count, &t) < 0) {
        return NULL;
    }
    PyObject *joined = PyList_New(count);
    for (Py_ssize_t row = 0; joined != NULL && row < count; row++) {
        size_t size = 0;
        for (Py_ssize_t p = 0; p < t.parts; p++) {
            size += t.cells[p * count + row].size;
        }
        PyObject *item = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
        if (item == NULL) {
            Py_CLEAR(joined);
            break;
        }
        char *at = PyBytes_AS_STRING(item);
        for (Py_ssize_t p = 0; p < t.parts; p++) {
            const chunk *cell = t.cells + p * count + row;
            memcpy(at, cell->data, cell->size);
            at += cell->size;
        }
        PyList_SET_ITEM(joined, row, item);
    }
    release_table(&t);
    return joined;
}

/* -- times: stored UTC text to microseconds ------------------------------------------ */

/* Days from 1970-01-01 to the proleptic Gregorian date (y, m, d); the civil-date arithmetic
 * of Howard Hinnant's "chrono-compatible low-level date algorithms" (days_from_civil). */
static long long
days_from_civil(long long y, long long m, long long d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The value of `n` ASCII digits at `s`, or -1 when one is not a digit. */
static long long
digits(const char *s, int n)
{
    long long value = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        value = value * 10 + (s[i] - '0');
    }
    return value;
}

/* Microseconds since the epoch of "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD HH:MM:SS.ffffff"
 * (naive UTC, as the store writes times on SQLite), or 0 with *ok = 0 for any other text or
 * an impossible date or time (the caller then leaves it to datetime.fromisoformat). */
static long long
text_us(const char *s, Py_ssize_t size, int *ok)
{
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    *ok = 0;
    if (!(size == 19 || (size == 26 && s[19] == '.')) || s[4] != '-' || s[7] != '-' ||
        s[10] != ' ' || s[13] != ':' || s[16] != ':') {
        return 0;
    }
    long long year = digits(s, 4), month = digits(s + 5, 2), day = digits(s + 8, 2);
    long long hour = digits(s + 11, 2), minute = digits(s + 14, 2), second = digits(s + 17, 2);
    long long micro = size == 26 ? digits(s + 20, 6) : 0;
    if (year < 1 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 ||
        minute < 0 || minute > 59 || second < 0 || second > 59 || micro < 0) {
        return 0;
    }
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > month_days[month - 1] + (month == 2 && leap)) {
        return 0;
    }
    *ok = 1;
    long long seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                        second;
    return seconds * 1000000 + micro;
}

static PyObject *
epoch_us(PyObject *self, PyObject *values)
{
    PyObject *seq = PySequence_Fast(values, "values must be a sequence");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = items[i], *made = NULL;
        if (PyUnicode_Check(item) && PyUnicode_IS_ASCII(item)) {
            int ok = 0;
            long long us = text_us((const char *)PyUnicode_DATA(item),
                                   PyUnicode_GET_LENGTH(item), &ok);
            if (ok) {
                made = PyLong_FromLongLong(us);
                if (made == NULL) {
                    Py_DECREF(out);
                    Py_DECREF(seq);
                    return NULL;
                }
            }
        }
        if (made == NULL) {
            Py_INCREF(item);
            made = item;
        }
        PyList_SET_ITEM(out, i, made);
    }
    Py_DECREF(seq);
    return out;
}

/* -- groups: a round's tiles and entry bundles ------------------------------------------ */

/* groups(head, head_count, items, framed) -> [bytes, ...]: the items cut into groups of 256
 * (TILE_WIDTH) in order, the first group continuing `head` (which already holds
 * `head_count` items, 0..255) and so holding 256 - head_count of them; each group's bytes
 * are its items concatenated, each after its big-endian uint16 length when `framed` (an
 * entry bundle, c2sp.org/tlog-tiles "Log entries"), bare when not (a hash tile). No items,
 * no groups. One bytes object per tile or bundle rather than a list of 256 parts joined in
 * Python (tiles.py holds the reference, a Hypothesis test holds both to it). */
#define GROUP_WIDTH 256
#define MAX_FRAMED 0xFFFF

static PyObject *
groups(PyObject *self, PyObject *args)
{
    Py_buffer head;
    Py_ssize_t head_count;
    PyObject *items;
    int framed;
    if (!PyArg_ParseTuple(args, "y*nOp", &head, &head_count, &items, &framed)) {
        return NULL;
    }
    PyObject *seq = NULL, *out = NULL;
    if (head_count < 0 || head_count >= GROUP_WIDTH) {
        PyErr_Format(PyExc_ValueError, "head_count %zd is not in 0..%d", head_count,
                     GROUP_WIDTH - 1);
        goto done;
    }
    seq = PySequence_Fast(items, "items must be a sequence of bytes");
    if (seq == NULL) {
        goto done;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **objects = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyBytes_Check(objects[i])) {
            PyErr_Format(PyExc_TypeError, "item %zd is %.100s, not bytes", i,
                         Py_TYPE(objects[i])->tp_name);
            goto done;
        }
        if (framed && PyBytes_GET_SIZE(objects[i]) > MAX_FRAMED) {
            PyErr_Format(PyExc_ValueError, "item %zd is %zd bytes; a frame holds at most %d", i,
                         PyBytes_GET_SIZE(objects[i]), MAX_FRAMED);
            goto done;
        }
    }
    Py_ssize_t first_take = GROUP_WIDTH - head_count;
    Py_ssize_t count = n == 0 ? 0 : (n <= first_take ? 1 : 2 + (n - first_take - 1) / GROUP_WIDTH);
    out = PyList_New(count);
    if (out == NULL) {
        goto done;
    }
    Py_ssize_t begin = 0;
    for (Py_ssize_t g = 0; g < count; g++) {
        Py_ssize_t take = g == 0 ? first_take : GROUP_WIDTH;
        Py_ssize_t end = begin + take < n ? begin + take : n;
        Py_ssize_t size = g == 0 ? head.len : 0;
        for (Py_ssize_t i = begin; i < end; i++) {
            size += PyBytes_GET_SIZE(objects[i]) + (framed ? 2 : 0);
        }
        PyObject *group = PyBytes_FromStringAndSize(NULL, size);
        if (group == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        unsigned char *at = (unsigned char *)PyBytes_AS_STRING(group);
        if (g == 0 && head.len > 0) {
            memcpy(at, head.buf, (size_t)head.len);
            at += head.len;
        }
        for (Py_ssize_t i = begin; i < end; i++) {
            Py_ssize_t length = PyBytes_GET_SIZE(objects[i]);
            if (framed) {
                *at++ = (unsigned char)(length >> 8);
                *at++ = (unsigned char)(length & 0xFF);
            }
            memcpy(at, PyBytes_AS_STRING(objects[i]), (size_t)length);
            at += length;
        }
        PyList_SET_ITEM(out, g, group);
        begin = end;
    }
done:
    Py_XDECREF(seq);
    PyBuffer_Release(&head);
    return out;
}

/* -- entries: a round's ledger entries from the store's rows ----------------------------- */

/* entries(rows, start, devices, pending, new_secrets, urandom) -> (out, left)
 *
 * The ledger's version-1 entries (docs/ledger-format.md; entries.py is the reference) of a
 * round, built from the driver's rows (tuples in `EventSource` field order) with no Python
 * call per entry: the rows are read once with the GIL held (their texts' UTF-8, integers,
 * times and secrets as pointers and numbers), then every HMAC opening, commitment and
 * entry's bytes are computed with the GIL released, and each entry becomes one bytes
 * object at `out[seq - start]`. An account with no stored secret gets `pending[account]`,
 * or a new one (32 bytes of a block of `urandom(4096)`) recorded in `pending` and appended
 * to `new_secrets` as (account, secret), as `Sources.secret_for` does.
 *
 * A row this function does not take as it is (a value outside the format's ranges, a
 * text too long or not encodable, a time in another shape or before 1970, a datetime
 * with a zone other than UTC, an unknown kind, a detail of an unexpected type) is left to
 * the caller in `left`, untouched, its slot in `out` being b"": the Python builders then
 * encode or quarantine it as before, so the bytes never depend on which path built them. */

enum { K_LIKE = 1, K_UNLIKE, K_COMMENT, K_FOLLOW, K_UNFOLLOW, K_SHARE, K_REVOKE, K_REINSTATE };

enum { F_SEQ, F_KIND, F_REF, F_ACCOUNT, F_TARGET, F_SOURCE, F_DEVICE_ID, F_IP_PREFIX,
       F_CREATED_AT, F_REMOVED_AT, F_DETAIL, F_DEVICE_KEY, F_USER_AGENT, F_HAS_SECRET,
       F_SECRET, F_FIELDS };

typedef struct {
    Py_ssize_t slot;
    int kind, has_device;
    unsigned long long seq, account, target, at;
    chunk source, secret, key, agent, prefix, tail;
    size_t offset;
} planned;

static const char ACCOUNT_OPENING[] = "plaudit/ledger/v1/account-opening";
static const char ACCOUNT_DOMAIN[] = "plaudit/ledger/v1/account";
static const char DEVICE_OPENING[] = "plaudit/ledger/v1/device-opening";
static const char DEVICE_DOMAIN[] = "plaudit/ledger/v1/device";
static const char BODY_OPENING[] = "plaudit/ledger/v1/body-opening";
static const char BODY_DOMAIN[] = "plaudit/ledger/v1/body";

static int
kind_code(PyObject *name)
{
    static const char *names[] = {NULL, "like", "unlike", "comment", "follow",
                                  "unfollow", "share", "revoke", "reinstate"};
    if (!PyUnicode_CheckExact(name) || !PyUnicode_IS_ASCII(name)) {
        return 0;
    }
    const char *text = (const char *)PyUnicode_DATA(name);
    Py_ssize_t size = PyUnicode_GET_LENGTH(name);
    for (int kind = K_LIKE; kind <= K_REINSTATE; kind++) {
        if ((size_t)size == strlen(names[kind]) && memcmp(text, names[kind], (size_t)size) == 0) {
            return kind;
        }
    }
    return 0;
}

/* An exact int in 0..2**64-1 (what `to_bytes(8, "big")` and `struct.pack(">Q")` accept). */
static int
as_u64(PyObject *value, unsigned long long *out)
{
    if (!PyLong_CheckExact(value)) {
        return 0;
    }
    *out = PyLong_AsUnsignedLongLong(value);
    if (*out == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    return 1;
}

/* A str's UTF-8 (cached in the str: valid while it lives), at most `limit` bytes. */
static int
as_text(PyObject *value, Py_ssize_t limit, chunk *out)
{
    if (!PyUnicode_CheckExact(value)) {
        return 0;
    }
    Py_ssize_t size = 0;
    const char *data = PyUnicode_AsUTF8AndSize(value, &size);
    if (data == NULL) { /* a lone surrogate: the Python path quarantines it */
        PyErr_Clear();
        return 0;
    }
    if (size > limit) {
        return 0;
    }
    out->data = (const unsigned char *)data;
    out->size = (size_t)size;
    return 1;
}

/* A stored time as microseconds since 1970, as `_as_recorded`/`time_us` read it: SQLite's
 * naive UTC text, or a datetime (naive = UTC, or aware: its UTC offset applied). Before 1970
 * does not fit the entry's unsigned field. */
static int
as_time(PyObject *value, unsigned long long *out)
{
    long long us;
    if (PyUnicode_CheckExact(value) && PyUnicode_IS_ASCII(value)) {
        int ok = 0;
        us = text_us((const char *)PyUnicode_DATA(value), PyUnicode_GET_LENGTH(value), &ok);
        if (!ok) {
            return 0;
        }
    } else if (PyDateTime_CheckExact(value)) {
        long long days = days_from_civil(PyDateTime_GET_YEAR(value), PyDateTime_GET_MONTH(value),
                                         PyDateTime_GET_DAY(value));
        long long seconds = days * 86400 + PyDateTime_DATE_GET_HOUR(value) * 3600 +
                            PyDateTime_DATE_GET_MINUTE(value) * 60 +
                            PyDateTime_DATE_GET_SECOND(value);
        us = seconds * 1000000 + PyDateTime_DATE_GET_MICROSECOND(value);
        PyObject *zone = PyDateTime_DATE_GET_TZINFO(value);
        if (zone != Py_None && zone != PyDateTime_TimeZone_UTC) {
            PyObject *offset = PyObject_CallMethod(value, "utcoffset", NULL);
            if (offset == NULL || !PyDelta_Check(offset)) {
                Py_XDECREF(offset);
                PyErr_Clear();
                return 0;
            }
            us -= ((long long)PyDateTime_DELTA_GET_DAYS(offset) * 86400 +
                   PyDateTime_DELTA_GET_SECONDS(offset)) * 1000000 +
                  PyDateTime_DELTA_GET_MICROSECONDS(offset);
            Py_DECREF(offset);
        }
    } else {
        return 0;
    }
    if (us < 0) {
        return 0;
    }
    *out = (unsigned long long)us;
    return 1;
}

/* Keep `object` alive until the round is built (appends a new reference; steals none). */
static int
hold(PyObject *refs, PyObject *object)
{
    return PyList_Append(refs, object);
}

/* New 32-byte secrets cut from blocks of `urandom(4096)` (os.urandom: one call per 128
 * secrets, as `integration._random32` draws them, instead of a Python call per secret). */
#define SECRET_SIZE 32
#define SECRET_BLOCK 4096

typedef struct {
    PyObject *urandom;
    PyObject *block;
    Py_ssize_t used;
} secret_pool;

static PyObject *
new_secret(secret_pool *pool)
{
    if (pool->block == NULL || pool->used + SECRET_SIZE > PyBytes_GET_SIZE(pool->block)) {
        Py_CLEAR(pool->block);
        PyObject *block = PyObject_CallFunction(pool->urandom, "n", (Py_ssize_t)SECRET_BLOCK);
        if (block == NULL) {
            return NULL;
        }
        if (!PyBytes_Check(block) || PyBytes_GET_SIZE(block) != SECRET_BLOCK) {
            Py_DECREF(block);
            PyErr_Format(PyExc_ValueError, "urandom(%d) must return %d random bytes",
                         SECRET_BLOCK, SECRET_BLOCK);
            return NULL;
        }
        pool->block = block;
        pool->used = 0;
    }
    PyObject *secret =
        PyBytes_FromStringAndSize(PyBytes_AS_STRING(pool->block) + pool->used, SECRET_SIZE);
    pool->used += SECRET_SIZE;
    return secret;
}

/* The row's secret: the stored one, or `pending`'s, or a new one (`Sources.secret_for`).
 * 1 with `out` set, 0 to leave the row to Python, -1 on an error raised. */
static int
row_secret(PyObject *row, PyObject *pending, PyObject *new_secrets, secret_pool *pool,
           PyObject *refs, chunk *out)
{
    PyObject *stored = PyTuple_GET_ITEM(row, F_SECRET), *secret = NULL;
    int has_secret = PyObject_IsTrue(PyTuple_GET_ITEM(row, F_HAS_SECRET));
    if (has_secret < 0) {
        return -1;
    }
    if (has_secret && stored != Py_None) {
        secret = PyBytes_CheckExact(stored) ? Py_NewRef(stored) : PyBytes_FromObject(stored);
        if (secret == NULL) { /* not a buffer: the Python path says what is wrong */
            PyErr_Clear();
            return 0;
        }
    } else if (has_secret) { /* shredded: a random secret nobody can open, never stored */
        secret = new_secret(pool);
    } else {
        PyObject *account = PyTuple_GET_ITEM(row, F_ACCOUNT);
        secret = PyDict_GetItemWithError(pending, account);
        if (secret != NULL) {
            Py_INCREF(secret);
        } else if (PyErr_Occurred()) {
            return -1;
        } else {
            secret = new_secret(pool);
            if (secret != NULL) {
                PyObject *made = PyTuple_Pack(2, account, secret);
                if (made == NULL || PyDict_SetItem(pending, account, secret) < 0 ||
                    PyList_Append(new_secrets, made) < 0) {
                    Py_CLEAR(secret);
                }
                Py_XDECREF(made);
            }
        }
    }
    if (secret == NULL) {
        return -1;
    }
    if (!PyBytes_Check(secret) || hold(refs, secret) < 0) {
        int failed = PyBytes_Check(secret) ? -1 : 0;
        Py_DECREF(secret);
        return failed;
    }
    out->data = (const unsigned char *)PyBytes_AS_STRING(secret);
    out->size = (size_t)PyBytes_GET_SIZE(secret);
    Py_DECREF(secret); /* `refs` holds it */
    return 1;
}

/* The device's key and user agent: `devices[device_id]`, else the row's own (`key or ""`). */
static int
row_device(PyObject *row, PyObject *devices, PyObject *refs, planned *p)
{
    static const unsigned char nothing[1] = {0};
    PyObject *device_id = PyTuple_GET_ITEM(row, F_DEVICE_ID);
    PyObject *prefix = PyTuple_GET_ITEM(row, F_IP_PREFIX);
    PyObject *key = Py_None, *agent = Py_None;
    p->key.data = p->agent.data = p->prefix.data = nothing;
    p->key.size = p->agent.size = p->prefix.size = 0;
    if (device_id != Py_None) {
        PyObject *known = PyDict_GetItemWithError(devices, device_id);
        if (known == NULL && PyErr_Occurred()) {
            return -1;
        }
        if (known != NULL && PyTuple_CheckExact(known) && PyTuple_GET_SIZE(known) == 2) {
            if (hold(refs, known) < 0) {
                return -1;
            }
            key = PyTuple_GET_ITEM(known, 0);
            agent = PyTuple_GET_ITEM(known, 1);
        } else if (known != NULL) {
            return 0;
        } else {
            key = PyTuple_GET_ITEM(row, F_DEVICE_KEY);
            agent = PyTuple_GET_ITEM(row, F_USER_AGENT);
        }
    }
    /* `key or ""`: None and the empty text are both an empty field */
    if ((key != Py_None && !as_text(key, 0xFFFF, &p->key)) ||
        (agent != Py_None && !as_text(agent, 0xFFFF, &p->agent)) ||
        (prefix != Py_None && !as_text(prefix, 0xFFFF, &p->prefix))) {
        return 0;
    }
    return 1;
}

/* One row read into `p` (1), left to Python (0), or an error raised (-1). */
static int
plan_row(PyObject *row, unsigned long long start, Py_ssize_t n, PyObject *devices,
         PyObject *pending, PyObject *new_secrets, secret_pool *pool, PyObject *refs,
         planned *p)
{
    if (!PyTuple_CheckExact(row) || PyTuple_GET_SIZE(row) != F_FIELDS) {
        return 0;
    }
    PyObject *detail = PyTuple_GET_ITEM(row, F_DETAIL);
    PyObject *source = PyTuple_GET_ITEM(row, F_SOURCE);
    p->kind = kind_code(PyTuple_GET_ITEM(row, F_KIND));
    if (!p->kind || !as_u64(PyTuple_GET_ITEM(row, F_SEQ), &p->seq) || p->seq < start ||
        p->seq - start >= (unsigned long long)n ||
        !as_u64(PyTuple_GET_ITEM(row, F_ACCOUNT), &p->account) ||
        !as_u64(PyTuple_GET_ITEM(row, F_TARGET), &p->target)) {
        return 0;
    }
    p->slot = (Py_ssize_t)(p->seq - start);
    int removal = p->kind == K_UNLIKE || p->kind == K_UNFOLLOW || p->kind == K_REINSTATE;
    if (!as_time(PyTuple_GET_ITEM(row, removal ? F_REMOVED_AT : F_CREATED_AT), &p->at)) {
        return 0;
    }
    if (p->kind == K_UNLIKE && PyUnicode_CheckExact(detail) && PyUnicode_GET_LENGTH(detail)) {
        source = detail; /* `detail or source` */
    } else if (p->kind == K_UNLIKE && detail != Py_None && !PyUnicode_CheckExact(detail)) {
        return 0;
    } else if (p->kind == K_REVOKE || p->kind == K_REINSTATE) {
        if (!PyUnicode_CheckExact(detail) && !PyLong_CheckExact(detail)) {
            return 0;
        }
        source = PyUnicode_FromFormat("verdict:%S", detail); /* f"verdict:{detail}" */
        if (source == NULL || hold(refs, source) < 0) {
            Py_XDECREF(source);
            return -1;
        }
        Py_DECREF(source);
    }
    if (!as_text(source, 255, &p->source)) {
        return 0;
    }
    p->tail.data = NULL;
    p->tail.size = 0;
    if (p->kind == K_COMMENT && !as_text(detail, PY_SSIZE_T_MAX, &p->tail)) {
        return 0;
    }
    if (p->kind == K_SHARE) { /* `detail or ""`, a short text */
        if (detail == Py_None) {
            p->tail.data = (const unsigned char *)"";
        } else if (!as_text(detail, 255, &p->tail)) {
            return 0;
        }
    }
    p->has_device = 0;
    if ((p->kind == K_LIKE || p->kind == K_COMMENT || p->kind == K_SHARE) &&
        (PyTuple_GET_ITEM(row, F_DEVICE_ID) != Py_None ||
         PyTuple_GET_ITEM(row, F_IP_PREFIX) != Py_None)) {
        int found = row_device(row, devices, refs, p);
        if (found <= 0) {
            return found;
        }
        p->has_device = 1;
    }
    return row_secret(row, pending, new_secrets, pool, refs, &p->secret);
}

static size_t
entry_size(const planned *p)
{
    size_t size = 2 + 16 + 1 + p->source.size + 32 + 1 + (p->has_device ? 32 : 0);
    if (p->kind == K_COMMENT) {
        size += 32;
    } else if (p->kind == K_SHARE) {
        size += 1 + p->tail.size;
    }
    return size;
}

static void
put_u64(unsigned char *at, unsigned long long value)
{
    for (int i = 7; i >= 0; i--) {
        at[i] = (unsigned char)(value & 0xFF);
        value >>= 8;
    }
}

/* HMAC-SHA256 (RFC 2104) of `message` from the key's two padded-key states. */
static void
hmac_from(const SHA256_CTX *inner_key, const SHA256_CTX *outer_key, const unsigned char *domain,
          size_t domain_size, const unsigned char *message, size_t size, unsigned char *out)
{
    unsigned char inner[SHA256_DIGEST_LENGTH];
    SHA256_CTX ctx = *inner_key;
    SHA256_Update(&ctx, domain, domain_size);
    SHA256_Update(&ctx, message, size);
    SHA256_Final(inner, &ctx);
    ctx = *outer_key;
    SHA256_Update(&ctx, inner, SHA256_DIGEST_LENGTH);
    SHA256_Final(out, &ctx);
}

/* The entry of a planned row, written at `at` (entries.py's layout, all big-endian):
 * version | kind | time | target | u8 len, source | account commitment | device flag
 * [| device commitment] [| comment: body commitment | share: u8 len, channel]. */
static void
write_entry(const planned *p, unsigned char *at)
{
    unsigned char key[64] = {0}, pad[64], opening[SHA256_DIGEST_LENGTH], number[9];
    SHA256_CTX inner_key, outer_key, ctx;
    if (p->secret.size > 64) {
        SHA256(p->secret.data, p->secret.size, key);
    } else {
        memcpy(key, p->secret.data, p->secret.size);
    }
    for (int i = 0; i < 64; i++) {
        pad[i] = key[i] ^ 0x36;
    }
    SHA256_Init(&inner_key);
    SHA256_Update(&inner_key, pad, 64);
    for (int i = 0; i < 64; i++) {
        pad[i] = key[i] ^ 0x5c;
    }
    SHA256_Init(&outer_key);
    SHA256_Update(&outer_key, pad, 64);

    int follow = p->kind == K_FOLLOW || p->kind == K_UNFOLLOW; /* the target is a creator */
    *at++ = 1; /* ENTRY_VERSION */
    *at++ = (unsigned char)p->kind;
    put_u64(at, p->at);
    put_u64(at + 8, p->target);
    at += 16;
    *at++ = (unsigned char)p->source.size;
    memcpy(at, p->source.data, p->source.size);
    at += p->source.size;

    number[0] = (unsigned char)follow;
    put_u64(number + 1, p->target);
    hmac_from(&inner_key, &outer_key, (const unsigned char *)ACCOUNT_OPENING,
              sizeof ACCOUNT_OPENING - 1, number, 9, opening);
    unsigned char account[8];
    put_u64(account, p->account);
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, ACCOUNT_DOMAIN, sizeof ACCOUNT_DOMAIN - 1);
    SHA256_Update(&ctx, account, 8);
    SHA256_Update(&ctx, number, 9);
    SHA256_Update(&ctx, opening, SHA256_DIGEST_LENGTH);
    SHA256_Final(at, &ctx);
    at += 32;

    put_u64(number, p->seq); /* the device's and body's salt */
    *at++ = (unsigned char)p->has_device;
    if (p->has_device) {
        hmac_from(&inner_key, &outer_key, (const unsigned char *)DEVICE_OPENING,
                  sizeof DEVICE_OPENING - 1, number, 8, opening);
        unsigned char length[2];
        SHA256_Init(&ctx);
        SHA256_Update(&ctx, DEVICE_DOMAIN, sizeof DEVICE_DOMAIN - 1);
        SHA256_Update(&ctx, opening, SHA256_DIGEST_LENGTH);
        const chunk *fields[3] = {&p->key, &p->agent, &p->prefix};
        for (int f = 0; f < 3; f++) {
            length[0] = (unsigned char)(fields[f]->size >> 8);
            length[1] = (unsigned char)(fields[f]->size & 0xFF);
            SHA256_Update(&ctx, length, 2);
            SHA256_Update(&ctx, fields[f]->data, fields[f]->size);
        }
        SHA256_Final(at, &ctx);
        at += 32;
    }
    if (p->kind == K_COMMENT) {
        hmac_from(&inner_key, &outer_key, (const unsigned char *)BODY_OPENING,
                  sizeof BODY_OPENING - 1, number, 8, opening);
        SHA256_Init(&ctx);
        SHA256_Update(&ctx, BODY_DOMAIN, sizeof BODY_DOMAIN - 1);
        SHA256_Update(&ctx, opening, SHA256_DIGEST_LENGTH);
        SHA256_Update(&ctx, p->tail.data, p->tail.size);
        SHA256_Final(at, &ctx);
    } else if (p->kind == K_SHARE) {
        *at++ = (unsigned char)p->tail.size;
        memcpy(at, p->tail.data, p->tail.size);
    }
}

static PyObject *
entries(PyObject *self, PyObject *args)
{
    PyObject *rows, *devices, *pending, *new_secrets;
    secret_pool pool = {NULL, NULL, 0};
    long long start;
    if (!PyArg_ParseTuple(args, "OLO!O!O!O", &rows, &start, &PyDict_Type, &devices,
                          &PyDict_Type, &pending, &PyList_Type, &new_secrets, &pool.urandom)) {
        return NULL;
    }
    if (start < 0) {
        PyErr_SetString(PyExc_TypeError, "entries(rows, start >= 0, devices: dict, pending: "
                                         "dict, new_secrets: list, urandom)");
        return NULL;
    }
    /* a tuple of the rows: they stay alive (and in place) while the GIL is released */
    PyObject *held = PySequence_Tuple(rows);
    if (held == NULL) {
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(held);
    PyObject *refs = PyList_New(0), *out = PyList_New(n), *left = PyList_New(0);
    PyObject *empty = PyBytes_FromStringAndSize(NULL, 0), *result = NULL;
    planned *plans = PyMem_Malloc(sizeof(planned) * (size_t)(n > 0 ? n : 1));
    unsigned char *buffer = NULL;
    Py_ssize_t count = 0;
    if (refs == NULL || out == NULL || left == NULL || empty == NULL || plans == NULL) {
        if (plans == NULL) {
            PyErr_NoMemory();
        }
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyList_SET_ITEM(out, i, Py_NewRef(empty));
    }
    size_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *row = PyTuple_GET_ITEM(held, i);
        planned *p = plans + count;
int taken = plan_row(row, (unsigned long long)start, n, devices, pending, new_secrets,
                             &pool, refs, p);
        if (taken < 0) {
            goto done;
        }
        if (!taken) {
            if (PyList_Append(left, row) < 0) {
                goto done;
            }
            continue;
        }
        p->offset = total;
        total += entry_size(p);
        count++;
    }
    buffer = PyMem_Malloc(total > 0 ? total : 1);
    if (buffer == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        write_entry(plans + i, buffer + plans[i].offset);
    }
    Py_END_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        const planned *p = plans + i;
        PyObject *entry = PyBytes_FromStringAndSize((const char *)buffer + p->offset,
                                                    (Py_ssize_t)entry_size(p));
        if (entry == NULL) {
            goto done;
        }
        PyObject *previous = PyList_GET_ITEM(out, p->slot);
        PyList_SET_ITEM(out, p->slot, entry);
        Py_DECREF(previous);
    }
    result = PyTuple_Pack(2, out, left);
done:
    Py_XDECREF(pool.block);
    PyMem_Free(buffer);
    PyMem_Free(plans);
    Py_XDECREF(empty);
    Py_XDECREF(left);
    Py_XDECREF(out);
    Py_XDECREF(refs);
    Py_DECREF(held);
    return result;
}

/* -- climb: several tree levels at once, only the last one as bytes objects --------------- */

/* climb(prefix, pendings, items, height) -> (pendings, hashes)
 *
 * `height` steps of `TreeBuilder.append`'s loop over one level's new nodes `items` (32-byte
 * hashes): at each step the level's pending left node (pendings[step], or None) goes
 * before the items, the last node of an odd row becomes the new pending one, and the row's
 * pairs are hashed (SHA-256(prefix || left || right)) into the next level's items. Returns
 * the new pendings (a step not reached, the items running out, keeps its old one) and the
 * items of the level `height` steps up. The levels in between are kept in two C buffers,
 * never as bytes objects: a tlog-tiles log stores only every TILE_HEIGHT-th level (its
 * tiles), and one bytes object per node was half the cost of the tree part. */
static PyObject *
climb(PyObject *self, PyObject *args)
{
    Py_buffer prefix;
    PyObject *pendings, *items, *result = NULL, *made = NULL, *hashes = NULL;
    Py_ssize_t height;
    if (!PyArg_ParseTuple(args, "y*O!On", &prefix, &PyList_Type, &pendings, &items, &height)) {
        return NULL;
    }
    unsigned char *a = NULL, *b = NULL, *held = NULL;
    signed char *state = NULL; /* per step: -1 not reached, 0 no pending, 1 pending in held */
    PyObject *seq = PySequence_Fast(items, "items must be a sequence of bytes");
    if (seq == NULL) {
        goto done;
    }
    if (height < 1 || PyList_GET_SIZE(pendings) != height) {
        PyErr_Format(PyExc_ValueError, "climb needs height >= 1 and one pending per step "
                     "(height %zd, %zd pendings)", height, PyList_GET_SIZE(pendings));
        goto done;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **objects = PySequence_Fast_ITEMS(seq);
    /* one slot before the items for a pending left node */
    a = PyMem_Malloc((size_t)(n + 1) * SHA256_DIGEST_LENGTH);
    b = PyMem_Malloc((size_t)(n / 2 + 2) * SHA256_DIGEST_LENGTH);
    held = PyMem_Malloc((size_t)height * SHA256_DIGEST_LENGTH);
    state = PyMem_Malloc((size_t)height);
    if (a == NULL || b == NULL || held == NULL || state == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyBytes_Check(objects[i]) || PyBytes_GET_SIZE(objects[i]) != SHA256_DIGEST_LENGTH) {
            PyErr_Format(PyExc_ValueError, "item %zd is not a %d-byte hash", i,
                         SHA256_DIGEST_LENGTH);
            goto done;
        }
        memcpy(a + (i + 1) * SHA256_DIGEST_LENGTH, PyBytes_AS_STRING(objects[i]),
               SHA256_DIGEST_LENGTH);
    }
    for (Py_ssize_t step = 0; step < height; step++) {
        PyObject *pending = PyList_GET_ITEM(pendings, step);
        state[step] = 0;
        if (pending == Py_None) {
            continue;
        }
        if (!PyBytes_Check(pending) || PyBytes_GET_SIZE(pending) != SHA256_DIGEST_LENGTH) {
            PyErr_Format(PyExc_ValueError, "pending %zd is not None or a %d-byte hash", step,
                         SHA256_DIGEST_LENGTH);
            goto done;
        }
        memcpy(held + step * SHA256_DIGEST_LENGTH, PyBytes_AS_STRING(pending),
               SHA256_DIGEST_LENGTH);
        state[step] = 1;
    }
    const unsigned char *head = prefix.buf;
    size_t head_size = (size_t)prefix.len;
    Py_BEGIN_ALLOW_THREADS
    /* `a + 32` holds the level's n items; the next level goes to `b + 32`, then swapped */
    for (Py_ssize_t step = 0; step < height; step++) {
        if (n == 0) {
            for (; step < height; step++) {
                state[step] = -1;
            }
            break;
        }
        unsigned char *row = a + SHA256_DIGEST_LENGTH;
        Py_ssize_t size = n;
        if (state[step] == 1) {
            row = a;
            memcpy(row, held + step * SHA256_DIGEST_LENGTH, SHA256_DIGEST_LENGTH);
            size++;
        }
        state[step] = (signed char)(size & 1);
        if (size & 1) {
            memcpy(held + step * SHA256_DIGEST_LENGTH, row + (size - 1) * SHA256_DIGEST_LENGTH,
                   SHA256_DIGEST_LENGTH);
        }
        n = size / 2;
        SHA256_CTX ctx;
        for (Py_ssize_t i = 0; i < n; i++) {
            SHA256_Init(&ctx);
            SHA256_Update(&ctx, head, head_size);
            SHA256_Update(&ctx, row + 2 * i * SHA256_DIGEST_LENGTH, 2 * SHA256_DIGEST_LENGTH);
            SHA256_Final(b + (i + 1) * SHA256_DIGEST_LENGTH, &ctx);
        }
        unsigned char *swap = a;
        a = b;
        b = swap;
    }
    Py_END_ALLOW_THREADS
    made = PyList_New(height);
    hashes = PyList_New(n);
    if (made == NULL || hashes == NULL) {
        goto done;
    }
    for (Py_ssize_t step = 0; step < height; step++) {
        PyObject *pending;
        if (state[step] < 0) {
            pending = Py_NewRef(PyList_GET_ITEM(pendings, step));
        } else if (state[step] == 0) {
            pending = Py_NewRef(Py_None);
        } else {
            pending = PyBytes_FromStringAndSize((const char *)held + step * SHA256_DIGEST_LENGTH,
                                                SHA256_DIGEST_LENGTH);
            if (pending == NULL) {
                goto done;
            }
        }
        PyList_SET_ITEM(made, step, pending);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *digest = PyBytes_FromStringAndSize(
            (const char *)a + (i + 1) * SHA256_DIGEST_LENGTH, SHA256_DIGEST_LENGTH);
        if (digest == NULL) {
            goto done;
        }
        PyList_SET_ITEM(hashes, i, digest);
    }
    result = PyTuple_Pack(2, made, hashes);
done:
    Py_XDECREF(made);
    Py_XDECREF(hashes);
    PyMem_Free(a);
    PyMem_Free(b);
    PyMem_Free(held);
    PyMem_Free(state);
    Py_XDECREF(seq);
    PyBuffer_Release(&prefix);
    return result;
}

static PyMethodDef methods[] = {
    {"prefixed", prefixed, METH_VARARGS,
     "prefixed(prefix, items) -> [SHA-256(prefix || item) for item in items]"},
    {"pairs", pairs, METH_VARARGS,
     "pairs(prefix, items) -> [SHA-256(prefix || items[2i] || items[2i + 1])], "
     "a trailing odd item left out"},
    {"sha256_rows", sha256_rows, METH_VARARGS,
     "sha256_rows(count, *columns) -> [SHA-256 of row i's columns joined], a column being "
     "bytes (every row) or a sequence of count bytes"},
    {"hmac_rows", hmac_rows, METH_VARARGS,
     "hmac_rows(count, keys, *columns) -> [HMAC-SHA256(keys[i], row i's columns joined)], "
     "keys and columns each bytes (every row) or a sequence of count bytes"},
    {"join_rows", join_rows, METH_VARARGS,
     "join_rows(count, *columns) -> [row i's columns joined], columns as in sha256_rows"},
    {"epoch_us", epoch_us, METH_O,
     "epoch_us(values) -> [microseconds since 1970 of each 'YYYY-MM-DD HH:MM:SS[.ffffff]' "
     "text (naive UTC); any other value as it is]"},
    {"entries", entries, METH_VARARGS,
     "entries(rows, start, devices, pending, new_secrets, urandom) -> (out, left): a "
     "round's ledger entries from the store's rows, out[seq - start] each; rows it does not "
     "take as they are in left, their slots b''"},
    {"climb", climb, METH_VARARGS,
     "climb(prefix, pendings, items, height) -> (pendings, hashes): height levels of the "
     "tree over items at once, each level's pending left node from pendings; only the "
     "last level's hashes as bytes"},
    {"groups", groups, METH_VARARGS,
     "groups(head, head_count, items, framed) -> [bytes of each group of 256 items, the "
     "first continuing head (holding head_count), each item after its uint16 length when "
     "framed]"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_batchhash",
    "Many SHA-256 hashes in one call, the GIL released (see merkle.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__batchhash(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return NULL;
    }
    return PyModule_Create(&module);
}
