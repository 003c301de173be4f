package startcmd_test

import (
	"fmt"
	"testing/fstest"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/startcmd"
)

func ExampleChoose() {
	app := fstest.MapFS{
		"main.py":          {Data: []byte("from fastapi import FastAPI\n\napp = FastAPI()\n")},
		"requirements.txt": {Data: []byte("fastapi\nuvicorn\n")},
	}
	res, err := startcmd.Choose(startcmd.Input{App: app, Installed: func(name string) bool { return name == "uvicorn" }})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Processes[0].Command())
	fmt.Println(res.Reason)
	// Output:
	// [sh -c exec uvicorn main:app --host 0.0.0.0 --port "${PORT:-8080}"]
	// FastAPI app main:app found in main.py, served with uvicorn (installed)
}
