# Natter on the official Deno image: dependencies are cached and the web app
# is built at image build time; the container runs `deno task start`
# (embedded broker unless REDIS_URL is set), which builds the web app again
# from the same files before serving.
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
CMD ["deno", "task", "start"]
