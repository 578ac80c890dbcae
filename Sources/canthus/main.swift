print("canthus")
