package faults

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTakeConsumesTimesInOrder(t *testing.T) {
	t.Parallel()
	var b Book
	b.Inject(Fault{Action: "DescribeImages", When: `"ImageVersion":"prd"`, Code: "A", Times: 1})
	b.Inject(Fault{Action: "DescribeImages", Code: "B", Times: 2})
	b.Inject(Fault{Code: "C"})
	var got []string
	for _, body := range []string{`{"ImageVersion":"prd"}`, `{"ImageVersion":"prd"}`, `{}`, `{}`} {
		got = append(got, b.Take("DescribeImages", body).Code)
	}
	got = append(got, b.Take("DuplicateImage", "").Code)
	if diff := cmp.Diff([]string{"A", "B", "B", "C", "C"}, got); diff != "" {
		t.Errorf("faults taken (-want +got):\n%s", diff)
	}
	b.Clear()
	if f := b.Take("DuplicateImage", ""); f != nil {
		t.Errorf("after Clear: %+v", f)
	}
}

func TestHooksCountTheirRequests(t *testing.T) {
	t.Parallel()
	var b Book
	var before, after []int
	b.Hook("DuplicateImage", false, func(n int) { before = append(before, n) })
	b.Hook("DuplicateImage", true, func(n int) { after = append(after, n) })
	b.RunHooks("DuplicateImage", false)
	b.RunHooks("DescribeImages", false)
	b.RunHooks("DuplicateImage", false)
	b.RunHooks("DuplicateImage", true)
	if diff := cmp.Diff([][]int{{1, 2}, {1}}, [][]int{before, after}); diff != "" {
		t.Errorf("hook calls (-want +got):\n%s", diff)
	}
}

func TestWindowSlides(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	at := start
	now := func() time.Time { return at }
	w := NewWindow(2)
	var got []bool
	for _, ms := range []int{0, 100, 900, 1000, 1050, 1101} {
		at = start.Add(time.Duration(ms) * time.Millisecond)
		got = append(got, w.Admit(now))
	}
	// 900 is the third in one second; 1000 drops the first, 1050 the
	// second is still within a second of 100; 1101 sees 100 leave.
	if diff := cmp.Diff([]bool{true, true, false, true, false, true}, got); diff != "" {
		t.Errorf("admitted (-want +got):\n%s", diff)
	}
}
