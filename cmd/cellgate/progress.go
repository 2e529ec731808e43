package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressOut is where progress bars draw: standard error, so that the
// JSON or ids a command prints on standard output stay clean.
var progressOut io.Writer = os.Stderr

// onTerminal reports whether w is a terminal. Off a terminal (a pipe, a
// log file, CI) there is no bar at all.
var onTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress is a bar for long command-line work of total steps, with the
// time left estimated from the rate so far; a silent one off a terminal.
func newProgress(total int64, what string) *progressbar.ProgressBar {
	if !onTerminal(progressOut) {
		return progressbar.DefaultSilent(total, what)
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(progressOut),
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionClearOnFinish(),
	)
}
