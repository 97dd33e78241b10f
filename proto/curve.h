/*
 * curve — CURVE security for the coordinator<->worker link: key files,
 * the ZAP handler, socket options. PROTOCOL.md §Security is the spec.
 *
 * A key directory (`--curve-dir DIR`) holds czmq certificates (zcert_save
 * format: a public file NAME and a secret file NAME_secret, mode 0600):
 *     DIR/coordinator.cert[_secret]  the coordinator's keypair; workers
 *                                    need only the public half
 *     DIR/worker.cert[_secret]       a worker keypair; the coordinator
 *                                    needs none of it
 *     DIR/authorized/NAME.cert       public certificates of the workers
 *                                    the coordinator lets in
 * The coordinator runs czmq's zauth actor as the ZAP handler with
 * CURVE_ALLOW_ANY off: only a key found in DIR/authorized passes the
 * handshake (the directory is re-read when it changes). A secret file
 * that group or others can read is refused, as ssh refuses its keys.
 *
 * zauth lives in czmq's process-wide context, so a CURVE coordinator
 * creates its socket there (mg_curve_context); czmq's own signal
 * handlers stay off so ours keep working.
 */
#ifndef MG_CURVE_H
#define MG_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_CURVE_COORD_CERT "coordinator.cert"
#define MG_CURVE_WORKER_CERT "worker.cert"
#define MG_CURVE_AUTH_DIR "authorized"
#define MG_CURVE_ZAP_DOMAIN "musicgen"

typedef struct {
    uint8_t server_public[32];   /* the coordinator's public key */
    uint8_t public_key[32];      /* ours */
    uint8_t secret_key[32];
} mg_curve_keys;

/* Create DIR (0700), the coordinator keypair unless it exists (not with
 * worker_only), a worker keypair unless it exists, and authorise that
 * worker (DIR/authorized/worker.cert). Existing keys are never replaced.
 * Appends what it made to report ("" if nothing). 0 or -1. */
int mg_curve_keygen(const char *dir, bool worker_only, char *report,
                    size_t replen, char *err, size_t errlen);

/* Coordinator: its keypair, and at least one certificate in
 * DIR/authorized. 0 or -1 (err names the file). */
int mg_curve_load_server(const char *dir, mg_curve_keys *k, char *err,
                         size_t errlen);
/* Worker: the coordinator's public key and the worker keypair. */
int mg_curve_load_client(const char *dir, mg_curve_keys *k, char *err,
                         size_t errlen);

/* Socket options (before bind/connect). 0 or -1. */
int mg_curve_apply_server(void *sock, const mg_curve_keys *k, char *err,
                          size_t errlen);
int mg_curve_apply_client(void *sock, const mg_curve_keys *k, char *err,
                          size_t errlen);

/* czmq's context (zsys_init) with czmq's signal handling disabled. */
void *mg_curve_context(void);
/* Start the zauth actor: CURVE, only certificates in DIR/authorized.
 * Returns the actor (for mg_curve_auth_stop) or NULL with err. */
void *mg_curve_auth_start(const char *dir, char *err, size_t errlen);
void mg_curve_auth_stop(void **auth);

/* Take one event from a socket monitor (zmq_socket_monitor's PAIR end)
 * without blocking: 0 with its event id and value, -1 when there is none
 * or it is malformed. */
int mg_monitor_event(void *mon, uint16_t *event, uint32_t *value);

#endif
