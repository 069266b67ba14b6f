# The manager's image: one statically linked binary and nothing else, so it builds without
# pulling a base image. `make docker-build` compiles bin/image/manager with CGO_ENABLED=0
# first. No CA bundle is included: the manager reaches the API server with the service
# account's CA and the Docker daemon over a unix socket.
FROM scratch
COPY bin/image/manager /manager
# 65532 is the conventional non-root user of distroless images; the chart's fsGroup and the
# daemon's socket group are the same number.
USER 65532:65532
ENTRYPOINT ["/manager"]
