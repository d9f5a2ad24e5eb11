# syntax=docker/dockerfile:1
# A Dockerfile that uses every instruction spacelet's builder accepts.
ARG BASE=busybox
ARG TAG

FROM ${BASE}:${TAG:-latest} AS builder
ARG GREETING="hello world"
ENV APP_HOME=/app \
    # a comment inside a continuation is dropped
    PATH=/app/bin:$PATH
ENV LEGACY a value with spaces
LABEL org.example.title="A demo" version=1
MAINTAINER someone@example.com
RUN echo "$GREETING" > /greeting && \
    mkdir -p /out
RUN ["/bin/sh", "-c", "echo exec form"]
RUN --mount=type=secret,id=HF_TOKEN --mount=type=cache,target=/root/.cache cat /run/secrets/HF_TOKEN
WORKDIR $APP_HOME
SHELL ["/bin/sh", "-e", "-c"]

FROM busybox
COPY --from=builder --chown=1000:1000 --chmod=0755 /out /app/out
COPY ["file with space.txt", "/app/"]
ADD --chown=user local.tar /opt/
USER 1000:1000
EXPOSE 7860 8080/tcp 53/udp
VOLUME ["/data"]
VOLUME /cache /tmp/x
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD wget -q -O- http://localhost:7860/ || exit 1
ENTRYPOINT ["python"]
CMD ["app.py"]
