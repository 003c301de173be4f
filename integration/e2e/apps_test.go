package e2e

// The FastAPI app of the seed's walkthrough: app.py with `app = FastAPI()`, a package of its
// own imported by app.py, requirements.txt naming fastapi and uvicorn, no Procfile.
var fastapiApp = map[string]string{
	"app.py": `import os

from fastapi import FastAPI

from greetings import greeting

app = FastAPI()


@app.get("/")
def read_root():
    return {"message": greeting("World"), "app": "cnbkit-e2e", "uid": os.getuid()}
`,
	"greetings/__init__.py": `def greeting(name):
    return "Hello, " + name + "!"
`,
	"requirements.txt": "fastapi\nuvicorn\n",
}

// fastapiBody is what GET / answers, the app's uid included.
const fastapiBody = `{"message": "Hello, World!", "app": "cnbkit-e2e", "uid": 1000}`

// tinyApp is a good app that builds quickly (one small distribution), for the builds that
// follow a failure.
var tinyApp = map[string]string{
	"main.py": `import h11

print("h11", h11.__version__)
`,
	"requirements.txt": "h11\n",
}

// audioApp uses pydub (which runs ffmpeg) and asks for nothing else: pydub in its
// requirements is what makes the composite add ffmpeg.
var audioApp = map[string]string{
	"tone.py": `"""Generate a 440 Hz tone, encode it to MP3 and read it back: pydub runs ffmpeg for both."""
import sys

from pydub import AudioSegment
from pydub.generators import Sine

out = sys.argv[1]
Sine(440).to_audio_segment(duration=1500).export(out, format="mp3", bitrate="64k")
back = AudioSegment.from_file(out, format="mp3")
print("decoded %d ms at %d Hz" % (len(back), back.frame_rate))
`,
	"main.py": `from http.server import BaseHTTPRequestHandler, HTTPServer
import os


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"audio app")


HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
`,
	"requirements.txt": "pydub\n",
}

// djangoApp is a Django project served by whitenoise: a home page that links its stylesheet
// with {% static %}, and the stylesheet in static/ (collected into STATIC_ROOT at build
// time). djangoManifestSettings switches it to whitenoise's compressed manifest storage.
var djangoApp = map[string]string{
	"manage.py": `#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
`,
	"mysite/__init__.py": "",
	"mysite/settings.py": djangoSettings,
	"mysite/urls.py": `from django.shortcuts import render
from django.urls import path


def home(request):
    return render(request, "home.html")


urlpatterns = [path("", home)]
`,
	"mysite/wsgi.py": `import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
application = get_wsgi_application()
`,
	"templates/home.html": `{% load static %}<!DOCTYPE html>
<html><head><title>cnbkit Django</title><link rel="stylesheet" href="{% static 'css/site.css' %}"></head>
<body><h1>Django home</h1></body></html>
`,
	"static/css/site.css": djangoCSS,
	"requirements.txt":    "django\nwhitenoise\ngunicorn\n",
}

const djangoCSS = "/* cnbkit e2e */\nbody { color: #123456; }\n"

const djangoSettings = `from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "cnbkit-e2e-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.staticfiles"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
]
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [BASE_DIR / "templates"]}]
DATABASES = {}
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
`

// djangoManifestSettings is djangoSettings with whitenoise's manifest storage (hashed,
// compressed copies; {% static %} needs the manifest collectstatic writes).
const djangoManifestSettings = djangoSettings + `
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
`

// gunicornApp is a WSGI app started by its Procfile with gunicorn.
var gunicornApp = map[string]string{
	"wsgi.py": `def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"gunicorn app"]
`,
	"Procfile":         "web: gunicorn --bind 0.0.0.0:$PORT wsgi:app\n",
	"requirements.txt": "gunicorn\n",
}
