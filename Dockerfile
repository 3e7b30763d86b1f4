FROM python:3.11-slim
# An unprivileged user runs the app; the IANA zones come with the tzdata dependency.
RUN useradd --create-home --uid 10001 cadence
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY cadence cadence
COPY prompts prompts
RUN pip install --no-cache-dir .
USER cadence
ENV PORT=8080
CMD ["discovery-bot", "serve", "--no-scheduler"]
