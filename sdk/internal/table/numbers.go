package table

import "math"

// FromLifecycle undoes what the lifecycle does to numbers in layer and store metadata.
// The lifecycle keeps that metadata as JSON in the image's io.buildpacks.lifecycle.metadata
// label and writes it back as TOML for the next build, so every number returns as a float
// (count = 1 comes back as count = 1.0), which TOML will not decode into an integer field.
// Floats without a fractional part are made integers again; TOML decodes an integer into a
// float field too, so float fields keep working. t itself is left untouched.
func FromLifecycle(t map[string]any) map[string]any {
	out, _ := lifecycleNumbers(t).(map[string]any)
	return out
}

func lifecycleNumbers(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return int64(x)
		}
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = lifecycleNumbers(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = lifecycleNumbers(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, e := range x {
			out[i], _ = lifecycleNumbers(e).(map[string]any)
		}
		return out
	}
	return v
}
