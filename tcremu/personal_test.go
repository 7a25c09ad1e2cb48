package tcremu_test

import (
	"testing"
)

// TestPersonalEdition: DuplicateImagePersonal and DescribeImagePersonal in
// the registry of the request's region.
func TestPersonalEdition(t *testing.T) {
	t.Parallel()
	emu, srv := fixture(t) // signs for ap-guangzhou
	emu.PutPersonalImage(region, "acme", "app", "v1", digestA)
	emu.PutPersonalImage(region, "acme", "app", "v10", digestB)
	emu.AddPersonalNamespace(region, "other")
	c := sdkClient(srv, secretID, secretKey, nil)
	tests := []struct {
		name   string
		action string
		params map[string]any
		want   string
	}{
		{"copy", "DuplicateImagePersonal", map[string]any{"SrcImage": "acme/app:v1", "DestImage": "other/app:prd"}, ""},
		{"missing tag", "DuplicateImagePersonal", map[string]any{"SrcImage": "acme/app:nope", "DestImage": "acme/app:prd"}, "ResourceNotFound.ErrNoTag"},
		{"foreign namespace", "DuplicateImagePersonal", map[string]any{"SrcImage": "acme/app:v1", "DestImage": "theirs/app:prd"}, "InvalidParameter.ErrNSMisMatch"},
		{"no Override flag", "DuplicateImagePersonal", map[string]any{"SrcImage": "acme/app:v1", "DestImage": "acme/app:prd", "Override": true}, "UnknownParameter"},
		{"missing repository", "DescribeImagePersonal", map[string]any{"RepoName": "acme/nope"}, "ResourceNotFound.ErrNoRepo"},
	}
	for _, tt := range tests {
		if _, code := send(c, tt.action, tt.params); code != tt.want {
			t.Errorf("%s: code %q, want %q", tt.name, code, tt.want)
		}
	}
	if img, ok := emu.LookupPersonal(region, "other", "app", "prd"); !ok || img.Digest != digestA {
		t.Errorf("other/app:prd = %v %t", img, ok)
	}
	resp, code := send(c, "DescribeImagePersonal", map[string]any{"RepoName": "acme/app", "Tag": "v1"})
	if code != "" {
		t.Fatal(code)
	}
	data := resp["Data"].(map[string]any)
	tags := data["TagInfo"].([]any)
	if data["TagCount"].(float64) != 2 || len(tags) != 2 {
		t.Fatalf("Tag is a search: v1 finds v1 and v10, got %v", data)
	}
	for _, tg := range tags {
		if id := tg.(map[string]any)["ImageId"]; id == digestA || id == digestB || id == "" {
			t.Errorf("ImageId %v: it is the config's digest, not the manifest's", id)
		}
	}
	// Another region's Personal registry is another registry.
	hk := sdkClientIn(srv, "ap-hongkong")
	if _, code := send(hk, "DescribeImagePersonal", map[string]any{"RepoName": "acme/app"}); code != "ResourceNotFound.ErrNoRepo" {
		t.Errorf("Hong Kong answered %q for Guangzhou's repository", code)
	}
}
