# The report step's script, kept in its own file (script_file:).
text = f"x*y = {product}; the wettest station, scaled, is {wettest}\n"
