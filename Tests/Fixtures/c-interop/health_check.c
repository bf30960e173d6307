/*
 * A C peer of the Apus wire: connects, exchanges hellos, calls apus.v1.Health/Check and prints the status.
 * Built by Tests/WireTests/Interop/CInteropTests.swift against the committed protoc-c output and libprotobuf-c,
 * proving that an accelerator-side runner written in C or C++ can speak the wire.
 *
 * usage: health_check PORT [SERVICE]   exit 0 if SERVING, 4 if another status, 2/3 on errors.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apus/v1/frame.pb-c.h"
#include "apus/v1/health.pb-c.h"

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Sends one length-prefixed frame carrying `payload`. */
static int send_frame(int fd, Apus__V1__Frame *frame, const ProtobufCMessage *payload) {
    uint8_t *body = NULL;
    if (payload) {
        size_t n = protobuf_c_message_get_packed_size(payload);
        body = malloc(n ? n : 1);
        protobuf_c_message_pack(payload, body);
        frame->payload.len = n;
        frame->payload.data = body;
    }
    size_t size = apus__v1__frame__get_packed_size(frame);
    uint8_t *buf = malloc(4 + size);
    uint32_t be = htonl((uint32_t)size);
    memcpy(buf, &be, 4);
    apus__v1__frame__pack(frame, buf + 4);
    int rc = write_all(fd, buf, 4 + size);
    free(buf);
    free(body);
    return rc;
}

static Apus__V1__Frame *read_frame(int fd) {
    uint32_t be;
    if (read_all(fd, (uint8_t *)&be, 4) != 0) return NULL;
    uint32_t n = ntohl(be);
    if (n > (64u << 20)) return NULL;
    uint8_t *buf = malloc(n ? n : 1);
    if (read_all(fd, buf, n) != 0) { free(buf); return NULL; }
    Apus__V1__Frame *f = apus__v1__frame__unpack(NULL, n, buf);
    free(buf);
    return f;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s PORT [SERVICE]\n", argv[0]); return 1; }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(argv[1]));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); return 2; }

    Apus__V1__Hello hello = APUS__V1__HELLO__INIT;
    hello.protocol_version = 1;
    hello.service = "c-interop";
    hello.instance_id = "c-1";
    Apus__V1__Frame f = APUS__V1__FRAME__INIT;
    f.kind = APUS__V1__FRAME_KIND__FRAME_KIND_HELLO;
    if (send_frame(fd, &f, &hello.base) != 0) return 2;

    Apus__V1__Frame *reply = read_frame(fd);
    if (!reply || reply->kind != APUS__V1__FRAME_KIND__FRAME_KIND_HELLO) { fprintf(stderr, "no hello\n"); return 3; }
    Apus__V1__Hello *server = apus__v1__hello__unpack(NULL, reply->payload.len, reply->payload.data);
    printf("server: %s (protocol %u)\n", server ? server->service : "?", server ? server->protocol_version : 0);
    if (server) apus__v1__hello__free_unpacked(server, NULL);
    apus__v1__frame__free_unpacked(reply, NULL);

    Apus__V1__HealthCheckRequest check = APUS__V1__HEALTH_CHECK_REQUEST__INIT;
    check.service = argc > 2 ? argv[2] : "";
    Apus__V1__Frame req = APUS__V1__FRAME__INIT;
    req.call_id = 1;
    req.kind = APUS__V1__FRAME_KIND__FRAME_KIND_REQUEST;
    req.method = "apus.v1.Health/Check";
    if (send_frame(fd, &req, &check.base) != 0) return 2;

    Apus__V1__Frame *resp = read_frame(fd);
    if (!resp || resp->call_id != 1) { fprintf(stderr, "no response\n"); return 3; }
    if (resp->kind != APUS__V1__FRAME_KIND__FRAME_KIND_RESPONSE) {
        fprintf(stderr, "call failed: status %d %s\n", resp->status, resp->status_message);
        return 3;
    }
    Apus__V1__HealthCheckResponse *status =
        apus__v1__health_check_response__unpack(NULL, resp->payload.len, resp->payload.data);
    int serving = status && status->status == APUS__V1__SERVING_STATUS__SERVING_STATUS_SERVING;
    printf("status: %s\n", serving ? "SERVING" : "NOT SERVING");
    if (status) apus__v1__health_check_response__free_unpacked(status, NULL);
    apus__v1__frame__free_unpacked(resp, NULL);
    close(fd);
    return serving ? 0 : 4;
}
