package promote
