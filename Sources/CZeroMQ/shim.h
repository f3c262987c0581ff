#ifndef CZEROMQ_SHIM_H
#define CZEROMQ_SHIM_H
#include <zmq.h>
#include <errno.h>

// ZMQ_ZAP_ENFORCE_DOMAIN is draft API in libzmq 4.3 headers but the library accepts it; without it a CURVE
// server with no ZAP handler admits any client (see ../shared/reference/swift-zeromq-openssl.md).
#define CZMQ_ZAP_ENFORCE_DOMAIN 93

static inline int czmq_errno(void) { return zmq_errno(); }
static inline int czmq_version_major(void) { int a, b, c; zmq_version(&a, &b, &c); return a; }
static inline int czmq_version_minor(void) { int a, b, c; zmq_version(&a, &b, &c); return b; }
static inline int czmq_has_curve(void) { return zmq_has("curve"); }
#endif
