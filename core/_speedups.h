/* What the C files of the _speedups extension share (core/_speedups.c, core/_cache_learn.c). */
#ifndef CCC_SPEEDUPS_H
#define CCC_SPEEDUPS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define ID_LIMIT ((long long)1 << 32)

/* A plain int that fits a long long (1: yes). */
static inline int
plain_int(PyObject *value, long long *out)
{
    if (value == NULL || !PyLong_CheckExact(value))
        return 0;
    int overflow = 0;
    *out = PyLong_AsLongLongAndOverflow(value, &overflow);
    return !overflow && !(*out == -1 && PyErr_Occurred());
}

/* An id as the Python handler takes it: a plain int (not a bool) in [0, 2**32). */
static inline int
plain_id(PyObject *value, long long *out)
{
    return plain_int(value, out) && *out >= 0 && *out < ID_LIMIT;
}

/* dict.pop(key, None): 0, or -1 with an exception. Looked up first: a missing key would make
 * PyDict_DelItem raise a KeyError to be cleared, about 500 instructions (most status changes have
 * no view to drop). */
static inline int
discard(PyObject *dict, PyObject *key)
{
    int found = PyDict_Contains(dict, key);
    if (found <= 0)
        return found;
    return PyDict_DelItem(dict, key);
}

/* "host_id" and "service_id", interned by the module's init (core/_speedups.c). */
extern PyObject *host_id_name, *service_id_name;

/* core/_cache_learn.c: the name cache's configuration handlers; adds its types to the module. */
int cache_learn_init(PyObject *module);

#endif
