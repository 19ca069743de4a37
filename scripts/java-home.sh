#!/bin/sh
# Prints the JAVA_HOME of a Java 25 (or later) JDK, which vmd builds and runs on:
# $JAVA_HOME if it is one, else Temurin's or Debian's under /usr/lib/jvm. Fails saying what
# to install when there is none.
for home in ${JAVA_HOME:+"$JAVA_HOME"} /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 \
	/usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/java-25-openjdk; do
	[ -x "$home/bin/javac" ] || continue
	v=$("$home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
	if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
		echo "$home"
		exit 0
	fi
done
echo "vmd needs a Java 25 JDK (java.lang.foreign, AOT caches) and found none: install Temurin 25" \
	"(temurin-25-jdk, at /usr/lib/jvm/temurin-25-jdk-amd64) or openjdk-25-jdk-headless where your" \
	"distribution packages it, or set JAVA_HOME to a JDK 25" >&2
exit 1
