# choicemap image: gunicorn under production settings (docker-compose.prod.yml), also used by the development
# compose file (docker-compose.yml), which overrides the command and settings.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# GeoDjango loads libgdal (and GEOS/PROJ, which come with it) at run time; pg_dump for the backup service.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gdal-bin libgdal-dev postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# Hashed, compressed static files are part of the image (whitenoise serves them); the key is only for this step.
ENV STATIC_ROOT=/app/staticfiles
RUN DJANGO_SETTINGS_MODULE=choicemap.settings.production SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput -v0

RUN useradd --system --uid 10001 choicemap && mkdir -p /backups /beat && chown choicemap /backups /beat
USER choicemap

ENV DJANGO_SETTINGS_MODULE=choicemap.settings.production
EXPOSE 8000
CMD ["gunicorn", "choicemap.wsgi"]
