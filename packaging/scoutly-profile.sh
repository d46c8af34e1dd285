# Lets `scoutly status` and the other commands in an operator's shell find the
# installed appliance (installed as /etc/profile.d/scoutly.sh). Members of the
# `scoutly` group reach its admin socket and status files.
export SCOUTLY_DATA_DIR=/var/lib/scoutly
export RUNTIME_DIRECTORY=/run/scoutly
