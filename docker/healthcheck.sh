#!/bin/sh
# File: the image's HEALTHCHECK. solar-control (SOLAR_ROLE=control, the default) answers the
# public liveness route /healthz; solar-host (SOLAR_ROLE=host) has only its public /health.
case "${SOLAR_ROLE:-control}" in
    host) path=/health default_port=8001 ;;
    *) path=/healthz default_port=8000 ;;
esac
exec curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${PORT:-$default_port}$path"
