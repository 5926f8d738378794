# File: multi-stage image of the three Solar programs on Debian bookworm (README, "Deployment").
# One image, two roles: solar-control (default entrypoint) and solar-host
# (entrypoint /usr/local/bin/entrypoint-host.sh, with SOLAR_ROLE=host for the healthcheck).
#
#   docker build -t solar .
#   docker run -d -p 8000:8000 -v "$PWD/data:/app/data" solar

# ---- build: the same dependency script as a developer machine, then a Release build ----
FROM debian:bookworm AS build
WORKDIR /src
# The script alone first, so the (large: libtorch) package layer is cached across source edits.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
# Swagger UI for the daemons' /docs pages comes from npm (docs/swagger-ui); without it /docs
# answers 503 and everything else works.
COPY docs/swagger-ui/package.json docs/swagger-ui/package-lock.json docs/swagger-ui/
RUN if ! command -v npm >/dev/null; then \
        apt-get update -qq && apt-get install -y -qq --no-install-recommends npm >/dev/null; \
    fi \
 && (npm ci --prefix docs/swagger-ui --ignore-scripts --no-audit --no-fund --loglevel=error \
     || echo "WARNING: npm ci failed: the image's /docs pages will answer 503")
COPY . .
RUN bash scripts/build.sh /build -DCMAKE_BUILD_TYPE=Release -DSOLAR_BUILD_TESTS=OFF \
        -DSOLAR_BUILD_BENCH=OFF
# Everything the runtime stage needs, in the layout it will have under /usr/local.
# solar-hf-runner is built only where libtorch was found (install-deps.sh installs it).
RUN mkdir -p /stage/bin /stage/share/solar \
 && cp /build/src/solar-control /build/src/solar-host /stage/bin/ \
 && if [ -x /build/src/solar-hf-runner ]; then cp /build/src/solar-hf-runner /stage/bin/; \
    else echo "WARNING: solar-hf-runner was not built: HuggingFace instances will not start"; fi \
 && if [ -d /build/share/solar/swagger-ui ]; then cp -r /build/share/solar/swagger-ui /stage/share/solar/; fi \
 && strip --strip-unneeded /stage/bin/*

# ---- runtime: only the shared libraries the three programs load ----
FROM debian:bookworm-slim
# solar-control, solar-host: libspdlog1.10 libfmt9 libsqlite3-0 libssl3 (libcrypto);
# solar-control also libtcmalloc-minimal4 (its allocator).
# solar-hf-runner: libtorch1.13 (CPU) with libopenblas0-openmp (without it matrix products are
# ~25 times slower), libpcre2-8-0 and libutf8proc2 (tokenizers).
# tini is PID 1: it forwards SIGTERM and reaps anything a child leaves behind.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
        libspdlog1.10 libfmt9 libsqlite3-0 libssl3 libtcmalloc-minimal4 \
        libtorch1.13 libopenblas0-openmp libpcre2-8-0 libutf8proc2 \
        ca-certificates curl tini >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 solar \
 && useradd --system --uid 10001 --gid solar --home-dir /app --shell /usr/sbin/nologin solar \
 && mkdir -p /app/data /models /opt/llama.cpp \
 && chown solar:solar /app/data
COPY --from=build /stage/ /usr/local/
COPY docker/entrypoint-control.sh docker/entrypoint-host.sh docker/healthcheck.sh /usr/local/bin/
WORKDIR /app
USER solar
# llama.cpp is not packaged for Debian 12: solar-host finds a llama-server mounted at
# /opt/llama.cpp (or /opt/llama.cpp/bin) on PATH. solar-hf-runner sits beside solar-host.
ENV PATH=/opt/llama.cpp:/opt/llama.cpp/bin:$PATH \
    DATA_DIR=/app/data \
    SOLAR_ROLE=control
EXPOSE 8000 8001
VOLUME ["/app/data"]
# solar-control answers /healthz; solar-host has only /health (docker/healthcheck.sh picks).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/healthcheck.sh"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/entrypoint-control.sh"]
