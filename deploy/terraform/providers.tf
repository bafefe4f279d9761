provider "google" {
  project = var.project
  region  = var.region
  zone    = var.zones[0]

  # Unset (null) for a real project; set by tests that point terraform at the
  # fakecompute emulator (test/e2e/terraform_test.go).
  compute_custom_endpoint = var.compute_endpoint
  access_token            = var.access_token
  poll_interval           = var.poll_interval
}
