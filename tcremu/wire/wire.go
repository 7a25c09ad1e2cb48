// Package wire plays a broken or hostile wire for the emulators: an
// answer delivered whole, dropped, cut short mid-body, trickled a byte at a
// time, gzip-encoded, or a flood that never ends; and JSON answers
// rewritten on their way out.
package wire

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Answer is what goes on the wire, before delivery.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
	Flood       int64 // stream this many filler bytes instead of Body
}

// Write writes a whole, as a sound wire does.
func (a Answer) Write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", a.ContentType)
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

// Pause sleeps for d; false if ctx (the client's request) ended first.
func Pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Delivery is how an answer goes on the wire.
type Delivery struct {
	Header  map[string]string // extra answer headers, e.g. Location for a redirect
	Drop    bool              // close the connection without an answer
	Cut     bool              // send the headers with the whole Content-Length, then half the body, then close
	Trickle time.Duration     // send the body one byte every Trickle
	Gzip    bool              // send the body gzip-encoded (Content-Encoding: gzip)
}

// Deliver writes a as d says: whole, dropped, cut short, trickled or
// gzip-encoded.
func (f Delivery) Deliver(w http.ResponseWriter, r *http.Request, a Answer) {
	if f.Drop {
		dropConnection(w)
		return
	}
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	if f.Cut {
		cutConnection(w, a)
		return
	}
	w.Header().Set("Content-Type", a.ContentType)
	var out io.Writer = w
	if f.Gzip {
		w.Header().Set("Content-Encoding", "gzip")
		gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		defer gz.Close()
		out = gz
	}
	w.WriteHeader(a.Status)
	switch {
	case a.Flood > 0:
		flood(r.Context(), out, a.Flood)
	case f.Trickle > 0:
		fl, _ := w.(http.Flusher)
		for i := range a.Body {
			if !Pause(r.Context(), f.Trickle) {
				return
			}
			if _, err := out.Write(a.Body[i : i+1]); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
	default:
		_, _ = out.Write(a.Body)
	}
}

// flood writes n bytes of a JSON object that never closes, stopping when
// the client goes away.
func flood(ctx context.Context, w io.Writer, n int64) {
	head := `{"Response":{"RequestId":"flood","Filler":"`
	if _, err := io.WriteString(w, head); err != nil {
		return
	}
	chunk := []byte(strings.Repeat("a", 64<<10))
	for left := n - int64(len(head)); left > 0 && ctx.Err() == nil; left -= int64(len(chunk)) {
		if _, err := w.Write(chunk[:min(int64(len(chunk)), left)]); err != nil {
			return
		}
	}
}

// dropConnection closes the connection without writing a response.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// Not hijackable (HTTP/2): abort the handler, which resets the stream.
	panic(http.ErrAbortHandler)
}

// cutConnection writes the answer's status line and headers, announcing
// the whole body, then half of it, and closes the connection: an answer
// cut off mid-body.
func cutConnection(w http.ResponseWriter, a Answer) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	writeRaw(buf.Writer, w.Header(), a, len(a.Body)/2)
	_ = buf.Flush()
}

func writeRaw(bw *bufio.Writer, h http.Header, a Answer, n int) {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", a.Status, http.StatusText(a.Status))
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Length", fmt.Sprint(len(a.Body)))
	_ = h.Write(bw)
	bw.WriteString("\r\n")
	_, _ = bw.Write(a.Body[:n])
}

// DropFields returns a Rewrite that deletes every field with one of these
// names, at any depth of the answer: e.g. DropFields("Digest") lists tags
// without their digests.
func DropFields(names ...string) func([]byte) []byte {
	return rewriteJSON(func(m map[string]any) {
		for _, n := range names {
			delete(m, n)
		}
	})
}

// SetFields returns a Rewrite that sets each field, at any depth, where the
// answer has it: e.g. SetFields(map[string]any{"RequestId": "…"}).
func SetFields(fields map[string]any) func([]byte) []byte {
	return rewriteJSON(func(m map[string]any) {
		for k, v := range fields {
			if _, ok := m[k]; ok {
				m[k] = v
			}
		}
	})
}

func rewriteJSON(edit func(map[string]any)) func([]byte) []byte {
	return func(body []byte) []byte {
		var v any
		if json.Unmarshal(body, &v) != nil {
			return body
		}
		walk(v, edit)
		out, _ := json.Marshal(v)
		return out
	}
}

func walk(v any, edit func(map[string]any)) {
	switch t := v.(type) {
	case map[string]any:
		edit(t)
		for _, c := range t {
			walk(c, edit)
		}
	case []any:
		for _, c := range t {
			walk(c, edit)
		}
	}
}
