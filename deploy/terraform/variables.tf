variable "project" {
  description = "The GCP project to build the test cluster's infrastructure in."
  type        = string
}

variable "region" {
  description = "The region of the subnet and of every VM."
  type        = string
  default     = "us-central1"
}

variable "zones" {
  description = "Zones of var.region the node VMs are spread over (round robin); the control-plane VM goes in the first."
  type        = list(string)
  default     = ["us-central1-a", "us-central1-b", "us-central1-c"]
  validation {
    condition     = length(var.zones) > 0
    error_message = "zones must name at least one zone."
  }
}

variable "name" {
  description = "Prefix of every resource name, and the cluster name (--cluster-name) in the gce.conf output; RFC 1035, short."
  type        = string
  default     = "gce-ccm"
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$", var.name))
    error_message = "name must be 1-20 characters: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "subnet_cidr" {
  description = "Primary range of the node subnet (VM addresses)."
  type        = string
  default     = "10.128.0.0/20"
}

variable "cluster_cidr" {
  description = "The cluster's pod range (--cluster-cidr). Each node's pod CIDR inside it gets a VPC route to the node's VM from the CCM; the internal firewall rule admits it."
  type        = string
  default     = "10.64.0.0/14"
}

variable "node_count" {
  description = "How many node VMs (besides the control-plane VM)."
  type        = number
  default     = 3
  validation {
    condition     = var.node_count >= 0 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number >= 0."
  }
}

variable "control_plane_machine_type" {
  description = "Machine type of the control-plane VM."
  type        = string
  default     = "e2-standard-2"
}

variable "node_machine_type" {
  description = "Machine type of the node VMs."
  type        = string
  default     = "e2-standard-2"
}

variable "image" {
  description = "Boot image of every VM."
  type        = string
  default     = "debian-cloud/debian-12"
}

variable "boot_disk_size_gb" {
  description = "Boot disk size of every VM, in GB."
  type        = number
  default     = 20
}

variable "node_tag" {
  description = "Network tag on every cluster VM (gce.conf node-tags): the target of the firewall rules here and of the CCM's load-balancer rules. Default: \"<name>-node\"."
  type        = string
  default     = null
}

variable "ssh_source_ranges" {
  description = "Source ranges allowed to SSH (tcp:22) to the cluster VMs; empty: no SSH rule."
  type        = list(string)
  default     = []
}

variable "create_iam" {
  description = "Create the CCM's service account, its custom role (exactly the compute permissions it calls) and the binding, and run the control-plane VM as that account. false: none of these (the caller brings an account, see ccm_service_account_email)."
  type        = bool
  default     = true
}

variable "ccm_service_account_email" {
  description = "With create_iam = false: the service account the control-plane VM (and so the CCM, through the metadata server) runs as; null: the VM has no service account."
  type        = string
  default     = null
}

variable "compute_endpoint" {
  description = "Compute API base URL for the provider and the gce.conf output (api-endpoint), e.g. an emulator's \"http://127.0.0.1:PORT/compute/v1/\"; null: Google's."
  type        = string
  default     = null
}

variable "access_token" {
  description = "OAuth access token for the provider; null: Application Default Credentials."
  type        = string
  default     = null
  sensitive   = true
}

variable "poll_interval" {
  description = "How often the provider polls GCE operations (a duration like \"1s\"); null: the provider's default."
  type        = string
  default     = null
}
