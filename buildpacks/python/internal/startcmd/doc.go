// Package startcmd chooses the processes of a Python app image: an explicit command, else the
// Procfile, else a command derived from the code (an ASGI or WSGI app object, a Django
// project, a functions-framework function, a main.py or app.py script) and the installed
// packages (uvicorn, gunicorn, functions-framework, ...).
//
// Every command is a shell script run with sh -c, so that $PORT is honoured; the web
// commands derived from the code bind 0.0.0.0 and use ${PORT:-8080}. Every script ends by
// exec'ing its server ([WithExec] adds exec to the commands it is given), so that the server
// replaces sh as the container's main process and receives SIGTERM. File names written into
// commands are quoted ([Quote]); a file whose name is not a Python module name is not served
// by name. The package never returns an interactive interpreter, nor a script that would exit
// at once, as a command.
package startcmd
