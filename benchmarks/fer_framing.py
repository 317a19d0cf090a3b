import zipfile, numpy as np, cv2, sys
zf = zipfile.ZipFile('../shared/fer2013/fer2013-train-val.zip')
names = [n for n in zf.namelist() if n.startswith('val/') and n.endswith('.jpg')]
casc = cv2.CascadeClassifier(cv2.data.haarcascades + 'haarcascade_frontalface_default.xml')
S = 192
rel = []
for n in names:
    img = cv2.imdecode(np.frombuffer(zf.read(n), np.uint8), cv2.IMREAD_GRAYSCALE)
    big = cv2.resize(img, (S, S), interpolation=cv2.INTER_CUBIC)
    pad = 64
    canvas = cv2.copyMakeBorder(big, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    f = casc.detectMultiScale(canvas, 1.1, 5, minSize=(60, 60))
    if len(f) != 1: continue
    x, y, w, h = f[0]; x -= pad; y -= pad
    rel.append(((x + w/2)/S, (y + h/2)/S, w/S))
rel = np.array(rel)
print("faces found in", len(rel), "of", len(names))
print("centre x  median %.3f  IQR %.3f-%.3f" % (np.median(rel[:,0]), *np.percentile(rel[:,0],[25,75])))
print("centre y  median %.3f  IQR %.3f-%.3f" % (np.median(rel[:,1]), *np.percentile(rel[:,1],[25,75])))
print("box side/frame median %.3f IQR %.3f-%.3f" % (np.median(rel[:,2]), *np.percentile(rel[:,2],[25,75])))
