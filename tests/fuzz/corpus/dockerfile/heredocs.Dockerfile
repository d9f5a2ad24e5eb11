FROM busybox
RUN <<EOF
echo first
echo second
EOF
RUN <<-EOT sh -x
	echo tabs stripped
	EOT
COPY <<EOF /app/config.txt
name=$NAME
EOF
COPY <<"RAW" /app/raw.txt
keep $THIS literally
RAW
RUN cat <<A <<B > /both
a-line
A
b-line
B
RUN echo "<<NOTAHEREDOC"
