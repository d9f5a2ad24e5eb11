from busybox as base
run echo crlf and lower case

cmd echo done
