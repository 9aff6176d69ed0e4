# Natter on the official Deno image: dependencies are cached and the web app
# is built at image build time; the container runs `deno task start`
# (embedded broker unless REDIS_URL is set), which builds the web app again
# from the same files before serving. tests/containers_test.ts checks every
# file, task, variable and port named here, as no Docker engine runs in CI.
FROM denoland/deno:2.9.6
WORKDIR /app
RUN chown deno:deno /app
USER deno
COPY --chown=deno:deno deno.json deno.lock ./
COPY --chown=deno:deno main.ts ./
COPY --chown=deno:deno src ./src
COPY --chown=deno:deno web ./web
COPY --chown=deno:deno build ./build
RUN deno install --frozen --entrypoint main.ts web/build.ts && deno task build:web
ENV PORT=8080 HOST=0.0.0.0
EXPOSE 8080
# The image has no curl: Deno itself asks /healthz, on the port the server reads.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch(`http://127.0.0.1:${Deno.env.get('PORT') ?? 8080}/healthz`); if (!r.ok) Deno.exit(1);"]
# Exec form, no shell: SIGTERM goes to deno task, which passes it to the server.
CMD ["deno", "task", "start"]
