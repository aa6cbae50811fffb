FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir . \
    && DEBUG=1 python manage.py compilemessages \
    && DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home tsg && mkdir -p /app/var/media && chown -R tsg /app/var
USER tsg
EXPOSE 8000
