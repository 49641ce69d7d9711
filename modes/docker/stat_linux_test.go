package docker_test

import (
	"os"
	"syscall"
)

func statUID(fi os.FileInfo) int { return int(fi.Sys().(*syscall.Stat_t).Uid) }

func hostname(t interface{ Fatal(...any) }) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
