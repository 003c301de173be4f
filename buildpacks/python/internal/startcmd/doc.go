// Package startcmd chooses the processes of a Python app image: an explicit command, else the
// Procfile, else a command derived from the code (an ASGI or WSGI app object, a Django
// project, a main.py or app.py script) and the installed packages (uvicorn, gunicorn, ...).
//
// Every command is a shell script run with sh -c, so that $PORT is honoured; the web
// commands derived from the code bind 0.0.0.0 and use ${PORT:-8080}. The package never
// returns an interactive interpreter as a command.
package startcmd
