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
