FROM python:3.11-slim
# An unprivileged user runs the app; the IANA zones come with the tzdata dependency.
RUN useradd --create-home --uid 10001 cadence
WORKDIR /app
# The pinned versions first (tests/test_lock.py keeps requirements.lock in step with
# pyproject.toml), then the app itself without resolving anything again.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot bot
COPY cadence cadence
COPY prompts prompts
RUN pip install --no-cache-dir --no-deps .
USER cadence
ENV PORT=8080
CMD ["discovery-bot", "serve", "--no-scheduler"]
