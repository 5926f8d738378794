# Multi-stage build of the Solar daemons on Debian bookworm, reusing the project's dependency script.
FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh
COPY . .
RUN bash scripts/build.sh /build -DCMAKE_BUILD_TYPE=Release -DSOLAR_BUILD_TESTS=OFF

FROM debian:bookworm-slim
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends libsqlite3-0 libssl3 libspdlog1.10 libfmt9 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app --uid 10001 solar
COPY --from=build /build/src/solar-control /usr/local/bin/solar-control
COPY docker/entrypoint-control.sh /usr/local/bin/entrypoint-control.sh
WORKDIR /app
RUN mkdir -p /app/data && chown solar /app/data
USER solar
ENV HOST=0.0.0.0 PORT=8000 DATA_DIR=/app/data
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD curl -fsS http://127.0.0.1:${PORT}/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/entrypoint-control.sh"]
