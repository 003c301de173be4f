package apps

// Pydantic2 is a FastAPI app on pydantic 2: its response model validates (and coerces) what
// the route returns, and a typed path parameter is validated by pydantic-core's compiled code.
var Pydantic2 = map[string]string{
	"app.py": `import os
import sys

import pydantic
import pydantic_core
from fastapi import FastAPI
from pydantic import BaseModel, Field

app = FastAPI()


class Greeting(BaseModel):
    message: str
    count: int = Field(ge=0)
    python: str
    pydantic: str
    compiled_core: bool
    uid: int


@app.get("/", response_model=Greeting)
def read_root():
    # "3" becomes 3 through the model: pydantic validated the answer.
    return {
        "message": "Hello, World!",
        "count": "3",
        "python": "%d.%d" % sys.version_info[:2],
        "pydantic": pydantic.VERSION.split(".")[0],
        "compiled_core": pydantic_core._pydantic_core.__file__.endswith(".so"),
        "uid": os.getuid(),
    }


@app.get("/items/{item_id}")
def read_item(item_id: int):
    return {"item_id": item_id}
`,
	"requirements.txt": "fastapi\nuvicorn\n",
}

// Pydantic2Body is what GET / of Pydantic2 answers on CPython 3.13, run as uid 1000.
const Pydantic2Body = `{"message": "Hello, World!", "count": 3, "python": "3.13", "pydantic": "2", "compiled_core": true, "uid": 1000}`
