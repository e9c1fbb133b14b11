package keyspace

import "testing"

func TestReserved(t *testing.T) {
	for _, tt := range []struct {
		pk   string
		want bool
	}{
		{"UNIQUE#User#email#a@x", true},
		{"SYNC-TOMBSTONE#m#id", true},
		{"SYNC-CHECKPOINT#arn", true},
		{"COMPANY#0193a8c2-7a4e-7d3c-9f00-0123456789ab", false},
		{"unique#lower", false},
		{"", false},
	} {
		if got := Reserved(tt.pk); got != tt.want {
			t.Errorf("Reserved(%q) = %v; want %v", tt.pk, got, tt.want)
		}
	}
}
