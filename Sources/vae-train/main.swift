print("vae-train: not yet")
