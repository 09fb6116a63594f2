module biolake.local/kube-tools

go 1.22
