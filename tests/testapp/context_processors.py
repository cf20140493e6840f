def site(request):
    return {"processor_value": "from-processor"}
