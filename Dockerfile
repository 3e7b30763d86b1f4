FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY cadence cadence
COPY prompts prompts
RUN pip install --no-cache-dir .
ENV PORT=8080
CMD ["discovery-bot", "serve"]
