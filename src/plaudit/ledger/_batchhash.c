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
    return PyModule_Create(&module);
}
