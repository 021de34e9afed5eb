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

static PyMethodDef methods[] = {
    {"prefixed", prefixed, METH_VARARGS,
     "prefixed(prefix, items) -> [SHA-256(prefix || item) for item in items]"},
    {"pairs", pairs, METH_VARARGS,
     "pairs(prefix, items) -> [SHA-256(prefix || items[2i] || items[2i + 1])], "
     "a trailing odd item left out"},
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
