# hello: the smoke test; boots, says hello, powers off.
say "HELLO from $(uname -sr) on $(nproc) CPU(s), $(awk '/^MemTotal/ { print $2 }' /proc/meminfo) kB"
