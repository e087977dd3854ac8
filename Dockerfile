# Recertify: `recertify serve` (the Slack bot and the scheduler) in a slim image, as a non-root user.
#
#   docker build -t recertify .
#   docker run --rm -p 8080:8080 --env-file recertify.env recertify                 # HTTP mode on :8080
#   docker run --rm --env-file recertify.env recertify db upgrade                    # a release step
#   docker run --rm --env-file recertify.env recertify serve --metrics-port 8080 --host 0.0.0.0   # Socket Mode
#
# Configuration and secrets come from the environment at run time (RECERTIFY_DATABASE_URL, SLACK_BOT_TOKEN,
# …) or a recertify.toml mounted and named by RECERTIFY_CONFIG; nothing secret is baked in. See
# docs/operations.md.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# What the package is built from, and nothing else (tests, benchmarks and examples stay out).
COPY pyproject.toml README.md app.py wiring.py jobs.py serve.py config.py config_sections.py config_logging.py recertify_verify.py ./
COPY reviews ./reviews
COPY connectors ./connectors
COPY bot ./bot
COPY ops ./ops
COPY scheduler ./scheduler
COPY cli ./cli
COPY simulators ./simulators
# The project itself, without the dev extras, into a virtual environment the runtime stage copies whole.
RUN python -m venv /opt/recertify \
    && /opt/recertify/bin/pip install --no-cache-dir . \
    && /opt/recertify/bin/recertify --help > /dev/null

FROM python:3.11-slim-bookworm
ENV PATH=/opt/recertify/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
COPY --from=build /opt/recertify /opt/recertify
# A system user with no login shell and no home; /var/lib/recertify is its working directory (a SQLite file
# there is for trying it out only: production uses PostgreSQL).
RUN groupadd --system --gid 10001 recertify \
    && useradd --system --uid 10001 --gid recertify --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin recertify \
    && mkdir -p /var/lib/recertify \
    && chown recertify:recertify /var/lib/recertify
WORKDIR /var/lib/recertify
USER 10001:10001
EXPOSE 8080
# /healthz with the standard library (no curl in a slim image). It probes port 8080: change both if you
# change the port in CMD.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["recertify"]
CMD ["serve", "--http", "8080", "--host", "0.0.0.0"]
