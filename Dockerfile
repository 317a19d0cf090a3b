# eMuse for hosts other than Streamlit Community Cloud:
#   docker build -t emuse . && docker run -p 8501:8501 -v emuse-data:/app/data emuse
# Pass secrets as environment variables (SPOTIPY_CLIENT_ID, SPOTIPY_CLIENT_SECRET, SPOTIFY_REFRESH_TOKEN,
# EMUSE_ICE_SERVERS with a TURN server), never bake them into the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    EMUSE_DATA_DIR=/app/data

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN useradd --create-home emuse && mkdir -p /app/data && chown -R emuse /app/data /app/playlists
USER emuse

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"

CMD ["streamlit", "run", "Home.py", "--server.port=8501", "--server.address=0.0.0.0"]
