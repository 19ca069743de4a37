# idle: waits for the ACPI power button (vmctl stop), then passes. Prints
# "VMDGUEST READY" once waiting.
[ -n "$(power_button_devs)" ] || fail "no ACPI power button"
say READY
wait_power_button || fail "no ACPI power button"
say POWERBUTTON
