# Natter on the official Deno image: dependencies are cached at build time,
# the container runs `deno task start` (embedded broker unless REDIS_URL is set).
FROM denoland/deno:2.9.6
WORKDIR /app
RUN chown deno:deno /app
USER deno
COPY --chown=deno:deno deno.json deno.lock ./
COPY --chown=deno:deno main.ts ./
COPY --chown=deno:deno src ./src
RUN deno install --frozen --entrypoint main.ts
ENV PORT=8080 HOST=0.0.0.0
EXPOSE 8080
CMD ["deno", "task", "start"]
