package e2e

import (
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/integration/harness"
)

// testPythonFFmpeg builds an app that requires pydub with the packaged composite: the
// optional ffmpeg buildpack joins because of the requirement, and at launch ffmpeg is on
// PATH and transcodes, both from a shell and through pydub in the app's environment.
func testPythonFFmpeg(t *testing.T, e env, h *harness.Harness) {
	g := NewWithT(t)

	opts := harness.BuildOptions{
		App:        writeApp(t, audioApp),
		Buildpacks: []harness.Buildpack{harness.BuildpackFile(e.composite)},
		Env:        map[string]string{"PIP_INDEX_URL": e.indexURL},
	}
	res, took := build(t, h, opts)
	expectSuccess(g, res)
	record(t, "pydub app with the composite (ffmpeg + Python), cold build: %s", took.Round(100*time.Millisecond))
	var ids []string
	for _, b := range res.Buildpacks {
		ids = append(ids, b.ID)
	}
	g.Expect(ids).To(Equal([]string{ffmpegID, pythonID}), "the group that ran")
	var ffLayers []string
	for _, n := range layerNames(res) {
		if strings.HasPrefix(n, ffmpegID+":") {
			ffLayers = append(ffLayers, n)
		}
	}
	g.Expect(ffLayers).NotTo(BeEmpty(), "the image has no layer of %s: %v", ffmpegID, layerNames(res))
	ff := e.mirror.FFmpeg[runtime.GOARCH].FFmpeg
	g.Expect(string(res.SBOM["launch/cnbkit_ffmpeg/ffmpeg/sbom.cdx.json"])).To(ContainSubstring(ff.SHA256),
		"the ffmpeg installed is the organisation's, from the inventory given at package time")
	expectValidSBOMs(t, res)
	total, _ := imageSize(res)
	record(t, "pydub app image with ffmpeg: %s compressed; buildpack layers %s", mb(total), layerSizes(res))

	t.Run("ffmpeg is on PATH at launch and transcodes", func(t *testing.T) {
		g := NewWithT(t)
		script := `set -e
command -v ffmpeg
command -v ffprobe
cd /tmp
ffmpeg -hide_banner -loglevel error -f lavfi -i sine=frequency=440:duration=2 -ar 44100 tone.wav
ffmpeg -hide_banner -loglevel error -i tone.wav -c:a libvorbis tone.ogg
ffprobe -v error -show_entries format=format_name,duration -of default=noprint_wrappers=1 tone.ogg
`
		img, err := withCommand(res.OCIImage(), "sh", "-c", script)
		g.Expect(err).NotTo(HaveOccurred())
		c, err := harness.Run(t.Context(), t, img, harness.RunOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.Wait()).To(Succeed(), "output:\n%s", c.Logs())
		out := c.Logs()
		g.Expect(out).To(MatchRegexp(`(?m)^/layers/cnbkit_ffmpeg/[^/]+/bin/ffmpeg$`), "ffmpeg comes from the buildpack's layer")
		g.Expect(out).To(ContainSubstring("format_name=ogg"))
		m := regexp.MustCompile(`duration=([0-9.]+)`).FindStringSubmatch(out)
		g.Expect(m).To(HaveLen(2), "ffprobe output:\n%s", out)
		d, err := strconv.ParseFloat(m[1], 64)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(d).To(BeNumerically("~", 2.0, 0.1), "the transcoded tone lasts 2 s")
	})

	t.Run("pydub in the app's environment runs ffmpeg", func(t *testing.T) {
		g := NewWithT(t)
		img, err := withCommand(res.OCIImage(), "python", "tone.py", "/tmp/tone.mp3")
		g.Expect(err).NotTo(HaveOccurred())
		c, err := harness.Run(t.Context(), t, img, harness.RunOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.Wait()).To(Succeed(), "output:\n%s", c.Logs())
		m := regexp.MustCompile(`decoded (\d+) ms at 44100 Hz`).FindStringSubmatch(c.Logs())
		g.Expect(m).To(HaveLen(2), "output:\n%s", c.Logs())
		ms, _ := strconv.Atoi(m[1])
		g.Expect(ms).To(BeNumerically("~", 1500, 100), "the MP3 decoded back lasts about as long as the tone")
	})

	t.Run("the default process serves", func(t *testing.T) {
		g := NewWithT(t)
		c := serve(t, res.OCIImage())
		_, body, err := c.Get(t.Context(), "/")
		g.Expect(err).NotTo(HaveOccurred(), "logs:\n%s", c.Logs())
		g.Expect(string(body)).To(Equal("audio app"))
	})

	t.Run("an unchanged rebuild reuses the ffmpeg layers and they still run", func(t *testing.T) {
		g := NewWithT(t)
		again, took := rebuild(t, h, res, nil)
		expectSuccess(g, again)
		record(t, "pydub app with the composite, warm rebuild (no change): %s", took.Round(100*time.Millisecond))
		g.Expect(again.Rebuilt).To(BeEmpty(), "layers rebuilt by an unchanged rebuild")
		g.Expect(again.Reused).To(ContainElements(ffLayers))
		g.Expect(again.Restored).NotTo(ContainElement(HavePrefix(ffmpegID)), "ffmpeg is reused from the image by its metadata alone: no file is restored")
		g.Expect(again.Digest).To(Equal(res.Digest))
		img, err := withCommand(again.OCIImage(), "ffmpeg", "-hide_banner", "-version")
		g.Expect(err).NotTo(HaveOccurred())
		c, err := harness.Run(t.Context(), t, img, harness.RunOptions{})
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(c.Wait()).To(Succeed(), "output:\n%s", c.Logs())
		g.Expect(c.Logs()).To(ContainSubstring("ffmpeg version"))
	})

	t.Run("a second clean build gives the same image", func(t *testing.T) {
		g := NewWithT(t)
		opts.Image = "" // a new name: no previous image, a new cache
		again, _ := build(t, h, opts)
		expectSuccess(g, again)
		g.Expect(again.Digest).To(Equal(res.Digest), "two clean builds of the same app differ in layers %v", differingLayers(res, again))
	})
}
