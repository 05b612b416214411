FROM python:3.11-slim
RUN pip install uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY packages/core/pyproject.toml packages/core/
RUN uv sync --frozen --no-install-workspace
COPY . .
RUN uv sync --frozen
