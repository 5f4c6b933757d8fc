"""Training machinery shared by the three papers: devices, seeding, batches, augmentation, resuming."""
