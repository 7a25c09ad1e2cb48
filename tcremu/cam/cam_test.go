package cam

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAssumeRole(t *testing.T) {
	t.Parallel()
	const role = "qcs::cam::uin/200000000002:roleName/tcr-promote"
	d := New(time.Now)
	d.TrustAccount(role, DefaultAccount)
	name := "ci-run-1"
	arn := func(s string) *string { return &s }
	tests := []struct {
		name, arn, account, code string
	}{
		{name: "trusted", arn: role, account: DefaultAccount},
		{name: "not trusted", arn: role, account: "300000000003", code: "AuthFailure.UnauthorizedOperation"},
		{name: "no such role", arn: "qcs::cam::uin/200000000002:roleName/other", account: DefaultAccount, code: "ResourceNotFound.RoleNotExist"},
		{name: "not an ARN", arn: "tcr-promote", account: DefaultAccount, code: "InvalidParameter.ParamError"},
		{name: "missing", arn: "", account: DefaultAccount, code: "MissingParameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, aerr := d.AssumeRole(Caller{SecretID: "AKID1", Account: tt.account}, &AssumeRoleParams{RoleArn: arn(tt.arn), RoleSessionName: &name})
			if aerr != nil || tt.code != "" {
				if aerr == nil || aerr.Code != tt.code {
					t.Fatalf("got %v, want %s", aerr, tt.code)
				}
				return
			}
			id := resp.(map[string]any)["Credentials"].(map[string]string)["TmpSecretId"]
			d.mu.Lock()
			k := d.keys[id]
			d.mu.Unlock()
			if diff := cmp.Diff([]string{"200000000002", role}, []string{k.account, k.role}); diff != "" {
				t.Errorf("issued key's account and role (-want +got):\n%s", diff)
			}
			got := d.CallerIdentity(Caller{SecretID: id, Account: k.account, Role: k.role})
			if got["AccountId"] != "200000000002" || got["Type"] != "CAMRole" {
				t.Errorf("caller identity %v", got)
			}
		})
	}
}
