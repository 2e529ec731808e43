// Package browsertest drives headless Chromium for the page tests (the
// console and the Connect pages). The
// browser is /usr/bin/chromium, which .ci/run installs; without it a test
// fails, unless CELLGATE_SKIP_BROWSER is set, when it skips.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is where the tests find the browser.
const ChromiumPath = "/usr/bin/chromium"

// Artifacts is the directory that keeps a test's screenshots: under
// $CELLGATE_ARTIFACTS when set (CI keeps it), else the test's temporary
// directory.
func Artifacts(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "screenshots")
	if base := os.Getenv("CELLGATE_ARTIFACTS"); base != "" {
		dir = filepath.Join(base, strings.ReplaceAll(t.Name(), "/", "_"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Tab is one headless Chromium tab at a window size.
type Tab struct {
	t    *testing.T
	Ctx  context.Context
	base string
	dir  string
	shot int
}

// New starts Chromium with a fresh profile and a width×height window.
func New(t *testing.T, base string, width, height int) *Tab {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		if os.Getenv("CELLGATE_SKIP_BROWSER") != "" {
			t.Skip("CELLGATE_SKIP_BROWSER is set and there is no " + ChromiumPath)
		}
		t.Fatalf("the browser tests need Chromium at %s (apt-get install -y chromium; .ci/run installs it): %v", ChromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 300*time.Second)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	tab := &Tab{t: t, Ctx: ctx, base: base, dir: Artifacts(t)}
	tab.Do(chromedp.EmulateViewport(int64(width), int64(height)), chromedp.Navigate("about:blank"))
	t.Logf("screenshots in %s", tab.dir)
	return tab
}

// AcceptDialogs accepts every confirm() the pages open from now on (the
// console asks before destructive actions).
func (c *Tab) AcceptDialogs() {
	dialogs := chromedp.Events(c.Ctx, cdppage.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(c.Ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
}

// Do runs actions; a failure saves a screenshot and fails the test.
func (c *Tab) Do(steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.Ctx, steps...); err != nil {
		c.Screenshot("failure")
		c.t.Fatalf("browser: %v", err)
	}
}

// Open loads a path (or a full URL) and waits for the main element.
func (c *Tab) Open(path string) {
	c.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = c.base + path
	}
	c.Do(chromedp.Navigate(path), chromedp.WaitReady(chromedp.CSS("main")))
}

// Click clicks and waits for the page it loads.
func (c *Tab) Click(sel string) {
	c.t.Helper()
	c.AndWait(chromedp.Click(chromedp.CSS(sel)))
}

// AndWait runs an action that loads a page (a click, an Enter key), and
// waits for the new page.
func (c *Tab) AndWait(a chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if _, err := chromedp.Run(c.Ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, a)); err != nil {
		c.Screenshot("failure")
		c.t.Fatalf("browser: %v", err)
	}
	c.Do(chromedp.WaitReady(chromedp.CSS("main")))
}

// Text is the text of the first element sel matches.
func (c *Tab) Text(sel string) string {
	c.t.Helper()
	return c.run(chromedp.Text(chromedp.CSS(sel)))
}

// HTML is the page's markup.
func (c *Tab) HTML() string {
	c.t.Helper()
	return c.run(chromedp.OuterHTML(chromedp.CSS("html")))
}

// Location is the page's URL.
func (c *Tab) Location() string {
	c.t.Helper()
	return c.run(chromedp.Location())
}

// Screenshot saves the whole page as NN-name.png in the artifacts.
func (c *Tab) Screenshot(name string) {
	buf, err := chromedp.Run(c.Ctx, chromedp.FullScreenshot(90))
	if err != nil {
		c.t.Logf("screenshot %s: %v", name, err)
		return
	}
	c.shot++
	file := fmt.Sprintf("%02d-%s.png", c.shot, strings.ReplaceAll(name, " ", "-"))
	_ = os.WriteFile(filepath.Join(c.dir, filepath.Base(file)), buf, 0o644)
}

// Keys types into the focused element, as a keyboard does ("\t" moves
// the focus, "\r" presses Enter).
func (c *Tab) Keys(keys string) {
	c.t.Helper()
	c.Do(chromedp.KeyEvent(keys))
}

func (c *Tab) run(a chromedp.Action[string]) string {
	c.t.Helper()
	s, err := chromedp.Run(c.Ctx, a)
	if err != nil {
		c.Screenshot("failure")
		c.t.Fatalf("browser: %v", err)
	}
	return s
}
